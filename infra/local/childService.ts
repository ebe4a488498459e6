import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChildService {
  readonly name: string;
  readonly process: ChildProcess;
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
  let exited = false;
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exited = true;
      resolve(code);
    }),
  );
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => options.log(options.name, line));
  }
  return {
    name: options.name,
    process: child,
    async waitUntilReady(url, deadlineMs) {
      const deadline = Date.now() + deadlineMs;
      while (Date.now() < deadline) {
        if (exited) throw new Error(`${options.name} exited before it was ready (code ${await exit})`);
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
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}
