import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, HTTPRequest, Page } from 'puppeteer-core';
import { isRunning } from './leftoverProcesses';

/** Debian's `chromium` package: .ci/run installs it; puppeteer-core never downloads a browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * The browser binary, or null. In CI it must be there (.ci/run installs it); elsewhere a test
 * without it is skipped with a loud message.
 */
export function chromiumBinary(): string | null {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (process.env.CI || process.env.BOOKING_CI_RUN) throw new Error(`${CHROMIUM_PATH} is missing in CI: .ci/run installs Debian's chromium package`);
  console.warn(`\n!!! ${CHROMIUM_PATH} is not installed: SKIPPING the browser tests (apt-get install -y --no-install-recommends chromium) !!!\n`);
  return null;
}

/** Where tests leave what a person needs to see after a failure (screenshots): TEST_OUTPUT_DIR or ./test-output. */
export function testOutputDirectory(): string {
  const directory = resolve(process.env.TEST_OUTPUT_DIR ?? join(__dirname, '..', '..', '..', 'test-output'));
  mkdirSync(directory, { recursive: true });
  return directory;
}

export interface RunningChromium {
  readonly browser: Browser;
  /** A new tab. */
  newPage(): Promise<Page>;
  /** Closes the browser, then kills its process by pid if it is still there, and removes its profile. */
  close(): Promise<void>;
}

/**
 * Flags for a headless Chromium on a closed network: without the background-networking ones it
 * keeps dialling Google's services (component updates, sync, field trials) and those refused
 * connections get in the way; QUIC is off for the same reason. `--no-sandbox`: tests run as root.
 */
function chromiumArgs(profile: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${profile}`,
  ];
}

/** A headless Chromium with a fresh profile of its own (a temporary directory). */
export async function launchChromium(binary: string): Promise<RunningChromium> {
  const profile = mkdtempSync(join(tmpdir(), 'chromium-'));
  // Loaded here, not at the top: every test imports the testkit, few drive a browser.
  const { default: puppeteer } = await import('puppeteer-core');
  let browser: Browser;
  try {
    browser = await puppeteer.launch({ executablePath: binary, headless: true, args: chromiumArgs(profile), userDataDir: profile, timeout: 20_000 });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  const pid = browser.process()?.pid;
  return {
    browser,
    newPage: () => browser.newPage(),
    async close() {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([browser.close().catch(() => undefined), new Promise((done) => (timer = setTimeout(done, 5_000)))]);
      clearTimeout(timer);
      if (pid !== undefined && isRunning(pid)) process.kill(pid, 'SIGKILL');
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Runs a browser test's steps; when they fail, saves a full-page screenshot of `page` as
 * `<name>.png` in the test output directory and names it in the error.
 */
export async function withScreenshotOnFailure<Result>(page: Page, name: string, steps: () => Promise<Result>): Promise<Result> {
  try {
    return await steps();
  } catch (error) {
    const file = join(testOutputDirectory(), `${name.replace(/[^\w.-]+/g, '-')}.png`);
    const saved = await page.screenshot({ path: file, fullPage: true }).then(
      () => `screenshot: ${file}`,
      (failure: unknown) => `no screenshot (${String(failure)})`,
    );
    if (error instanceof Error) {
      error.message = `${error.message}\n(${saved})`;
      throw error;
    }
    throw new Error(`${String(error)}\n(${saved})`);
  }
}

/** What a confined page did that the test did not allow. */
export interface PageWatch {
  /** Requests to hosts outside the allowed ones (aborted). */
  readonly outside: string[];
  /** Page errors, console errors and HTTP statuses of 400 and more, but the expected ones. */
  readonly problems: string[];
}

export interface ConfineOptions {
  /** The URLs the page may load; anything else is aborted and listed. */
  readonly allowed: (url: URL) => boolean;
  /** A problem the test asks for (e.g. the 401 of an expired token): not listed. */
  readonly expected?: (problem: string) => boolean;
  /** Sees each allowed request before it goes out. */
  readonly onRequest?: (request: HTTPRequest) => void;
}

/**
 * Keeps a page on the hosts a test allows (a browser test must prove it needs no other) and
 * collects whatever went wrong in it, for the test to assert both lists empty at the end.
 */
export async function confinePage(page: Page, options: ConfineOptions): Promise<PageWatch> {
  const watch = { outside: [] as string[], problems: [] as string[] };
  const problem = (text: string) => {
    if (!options.expected?.(text)) watch.problems.push(text);
  };
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    if (!options.allowed(new URL(request.url()))) {
      watch.outside.push(request.url().slice(0, 200));
      void request.abort('blockedbyclient');
      return;
    }
    options.onRequest?.(request);
    void request.continue();
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problem(`HTTP ${response.status()} for ${response.url()}`);
  });
  page.on('pageerror', (error) => problem(`page error: ${String(error)}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problem(`console: ${message.text()}`);
  });
  return watch;
}
