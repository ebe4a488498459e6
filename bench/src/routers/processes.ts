/** Processes of the benchmark, each pinned to a core with taskset (all threads inherit it). */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { findFreePort } from '@booking/infra';

export interface BenchProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  waitUntilReady(probe: () => Promise<boolean>, deadlineMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Every pinned process still running, so a benchmark stopped by a signal stops them too. */
const running = new Set<ChildProcess>();

/**
 * Stops the benchmark's pinned processes when the benchmark itself is stopped (SIGINT, SIGTERM):
 * they are its children but not always in its process group, and would live on holding ports.
 */
export function stopPinnedOnSignals(): void {
  const stopAll = (signal: NodeJS.Signals) => {
    for (const child of running) child.kill('SIGTERM');
    process.stderr.write(`stopped by ${signal}: ${running.size} benchmark process(es) told to stop\n`);
    process.exit(130);
  };
  process.once('SIGINT', stopAll);
  process.once('SIGTERM', stopAll);
}

export function startPinned(options: {
  name: string;
  core: number;
  /** Arguments to node: flags, then the script and its arguments. */
  nodeArgs: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** `env` is the whole environment, not additions to this process's. */
  envIsComplete?: boolean;
  cwd?: string;
  /** Lines of output worth showing (errors by default). */
  show?: (line: string) => boolean;
  /** A program node runs under, e.g. valgrind with its arguments (see instructions.ts). */
  wrapper?: readonly string[];
}): BenchProcess {
  const child = spawn('taskset', ['-a', '-c', String(options.core), ...(options.wrapper ?? []), process.execPath, ...options.nodeArgs], {
    env: options.envIsComplete ? options.env : { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const show = options.show ?? ((line: string) => /error|"level":(50|60)|exception/i.test(line));
  const recent: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      if (show(line)) process.stderr.write(`  ${options.name}| ${line.slice(0, 400)}\n`);
    });
  }
  let exited = false;
  running.add(child);
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      running.delete(child);
      resolve();
    }),
  );
  return {
    name: options.name,
    pid: child.pid as number,
    child,
    async waitUntilReady(probe, deadlineMs = 60_000) {
      const deadline = Date.now() + deadlineMs;
      while (Date.now() < deadline) {
        if (exited) throw new Error(`${options.name} exited before it was ready:\n${recent.join('\n')}`);
        if (await probe().catch(() => false)) return;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      throw new Error(`${options.name} was not ready within ${deadlineMs} ms:\n${recent.join('\n')}`);
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** A GraphQL endpoint is up once it answers `{ __typename }`. */
export function graphqlAnswers(url: string, headers: Record<string, string> = {}): () => Promise<boolean> {
  return async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: '{"query":"{ __typename }"}',
      signal: AbortSignal.timeout(2_000),
    });
    return response.ok;
  };
}

/** The replay proxy in its own process on `core`, ready to serve. */
export async function startReplayProxyProcess(core: number, options: Omit<import('./replayProxy').ProxyOptions, 'port'>): Promise<{ url: string; process: BenchProcess }> {
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  const proxy = startPinned({ name: 'proxy', core, nodeArgs: [require.resolve('./replayProxy'), JSON.stringify({ ...options, port })] });
  try {
    await proxy.waitUntilReady(async () => (await fetch(`${url}/__bench/stats`)).ok);
  } catch (error) {
    await proxy.stop();
    throw error;
  }
  return { url, process: proxy };
}
