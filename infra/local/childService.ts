import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** How a child ended: its exit code, or the signal that killed it. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export function describeExit(exit: ChildExit): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

/** Enough of a crash's stderr (a stack trace, a config error) to say why, without keeping it all. */
const STDERR_LINES_KEPT = 20;

export interface ChildService {
  readonly name: string;
  readonly process: ChildProcess;
  /** Resolves when the process has exited, however it ended. */
  readonly exited: Promise<ChildExit>;
  /** Its last stderr lines, oldest first. */
  lastStderrLines(): string[];
  /** Resolves once `url` answers 200, rejects if the process exits or the deadline passes. */
  waitUntilReady(url: string, deadlineMs: number): Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function startChildService(options: {
  name: string;
  script: string;
  env: NodeJS.ProcessEnv;
  log: (name: string, line: string) => void;
}): ChildService {
  const child = spawn(process.execPath, ['--enable-source-maps', options.script], {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exitState: ChildExit | undefined;
  const exited = new Promise<ChildExit>((resolve) =>
    child.once('exit', (code, signal) => {
      exitState = { code, signal };
      resolve(exitState);
    }),
  );
  const stderrTail: string[] = [];
  if (child.stdout) createInterface({ input: child.stdout }).on('line', (line) => options.log(options.name, line));
  if (child.stderr) {
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderrTail.push(line);
      if (stderrTail.length > STDERR_LINES_KEPT) stderrTail.shift();
      options.log(options.name, line);
    });
  }
  return {
    name: options.name,
    process: child,
    exited,
    lastStderrLines: () => [...stderrTail],
    async waitUntilReady(url, deadlineMs) {
      const deadline = Date.now() + deadlineMs;
      while (Date.now() < deadline) {
        if (exitState) throw new Error(`${options.name} exited before it was ready (${describeExit(exitState)})`);
        try {
          const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
          if (response.ok) return;
        } catch {
          // not listening yet
        }
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      throw new Error(`${options.name} was not ready at ${url} within ${deadlineMs} ms`);
    },
    async stop(graceMs = 10_000) {
      if (exitState) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
