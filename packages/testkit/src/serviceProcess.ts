import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { serviceNodeFlags } from '@booking/runtime';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/** A built service's entry point (`npx tsc -b` first): `router`, or a subgraph's name. */
export function serviceScript(service: string): string {
  return service === 'router' ? resolve(REPO_ROOT, 'router', 'dist', 'main.js') : resolve(REPO_ROOT, 'subgraphs', service, 'dist', 'src', 'main.js');
}

/** One pino line as a service writes it to stdout. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export const LOG_LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Every stdout line so far, parsed (a line that is not JSON is kept as `{ msg: line }` at level 0). */
  readonly lines: LogLine[];
  /** All of stdout and stderr so far, as written. */
  output(): string;
  /** Resolves with the first line (from the start) that `match` accepts; fails with the output at the deadline. */
  waitForLine(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves once `url` answers 200; fails if the process exits or the deadline passes. */
  waitUntilReady(url: string, timeoutMs?: number): Promise<void>;
  /** Stops reading its stdout, as a stalled log collector or an undrained pipe does: its writes soon block. */
  stallStdout(): void;
  /** Reads its stdout again. */
  resumeStdout(): void;
  /** SIGTERM to its process group, SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Process groups a test started and has not stopped: `killServiceProcesses` ends them. */
const running = new Set<ChildProcess>();

/**
 * A service as its own process (`node <its flags> <service>/dist/main.js`, as deployed), in a process group of its own,
 * with its stdout read line by line: what an operator's log collector sees.
 */
export function startServiceProcess(service: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [...serviceNodeFlags(service), serviceScript(service)], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  const exited = new Promise<void>((resolveExit) =>
    child.once('exit', () => {
      running.delete(child);
      resolveExit();
    }),
  );
  const lines: LogLine[] = [];
  let output = '';
  const listeners = new Set<() => void>();
  const stdout = createInterface({ input: child.stdout! });
  stdout.on('line', (text) => {
    output += `${text}\n`;
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { level: 0, msg: text };
    }
    lines.push(line);
    listeners.forEach((listener) => listener());
  });
  createInterface({ input: child.stderr! }).on('line', (text) => (output += `${text}\n`));

  return {
    child,
    lines,
    output: () => output,
    waitForLine(match, timeoutMs = 15_000) {
      return new Promise<LogLine>((resolveLine, reject) => {
        const check = () => {
          const found = lines.find(match);
          if (!found) return false;
          clearTimeout(timer);
          listeners.delete(check);
          resolveLine(found);
          return true;
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no matching ${service} log line within ${timeoutMs} ms; output:\n${output}`));
        }, timeoutMs);
        if (!check()) listeners.add(check);
      });
    },
    stallStdout: () => stdout.pause(),
    resumeStdout: () => stdout.resume(),
    async waitUntilReady(url, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${service} exited before it was ready; output:\n${output}`);
        try {
          const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
          if (response.ok) return;
        } catch {
          // not listening yet
        }
        await new Promise((wait) => setTimeout(wait, 100));
      }
      throw new Error(`${service} was not ready at ${url} within ${timeoutMs} ms; output:\n${output}`);
    },
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signalGroup(child, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

/** Kills (SIGKILL) every service process still running, for afterAll/afterEach after a failure or timeout. */
export function killServiceProcesses(): void {
  for (const child of running) signalGroup(child, 'SIGKILL');
  running.clear();
}
