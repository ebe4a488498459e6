import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { groupReaper } from './groupReaper';
import { probe } from './httpProbe';
import { signalGroup } from './processGroups';

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
  /**
   * Resolves once `url` answers 2xx; rejects if the process exits, or when the deadline passes
   * with the last attempt's error (connection refused, the HTTP status and body, …).
   */
  waitUntilReady(url: string, deadlineMs: number): Promise<void>;
  /**
   * Stops reading its stdout, as a stalled log shipper does: once the pipe is full the service's
   * writes wait, and what it logs meanwhile is held in its own LOG_BUFFER_BYTES (bench:soak).
   */
  pauseOutput(): void;
  /** Reads its stdout again. */
  resumeOutput(): void;
  /** SIGTERM to its process group, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Long enough for a service to finish its requests and close its connections. */
const STOP_GRACE_MS = 5_000;
/** One readiness attempt; a loaded machine may take a while to answer. */
const PROBE_TIMEOUT_MS = 2_000;

export function startChildService(options: {
  name: string;
  script: string;
  /** Node.js options before the script (`serviceNodeFlags`): the command line a deployment runs. */
  nodeFlags?: readonly string[];
  env: NodeJS.ProcessEnv;
  log: (name: string, line: string) => void;
}): ChildService {
  const child = spawn(process.execPath, ['--enable-source-maps', ...(options.nodeFlags ?? []), options.script], {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own: a terminal's Ctrl-C (SIGINT to the foreground group) then
    // reaches only the launcher, which stops the services in order and before the databases.
    detached: true,
    // (On Windows, where `detached` means a console of its own: not a window per service.)
    windowsHide: true,
  });
  const pid = child.pid;
  // Should this process die without stopping it, the reaper does.
  if (pid !== undefined) groupReaper().watch(pid, { graceMs: STOP_GRACE_MS });
  let exitState: ChildExit | undefined;
  const exited = new Promise<ChildExit>((resolve) =>
    child.once('exit', (code, signal) => {
      if (pid !== undefined) groupReaper().release(pid);
      exitState = { code, signal };
      resolve(exitState);
    }),
  );
  const stderrTail: string[] = [];
  const stdoutLines = child.stdout ? createInterface({ input: child.stdout }) : undefined;
  stdoutLines?.on('line', (line) => options.log(options.name, line));
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
    pauseOutput: () => stdoutLines?.pause(),
    resumeOutput: () => stdoutLines?.resume(),
    async waitUntilReady(url, deadlineMs) {
      const deadline = Date.now() + deadlineMs;
      let lastError = 'no attempt finished';
      while (Date.now() < deadline) {
        if (exitState) throw new Error(`${options.name} exited before it was ready (${describeExit(exitState)})`);
        try {
          await probe(url, Math.max(1, Math.min(PROBE_TIMEOUT_MS, deadline - Date.now())));
          return;
        } catch (error) {
          // Not listening yet, or not ready: kept to say why should the deadline pass.
          lastError = describeProbeError(error);
        }
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      throw new Error(`${options.name} was not ready at ${url} within ${deadlineMs} ms; last attempt: ${lastError}`);
    },
    async stop(graceMs = STOP_GRACE_MS) {
      if (exitState || pid === undefined) return;
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The error and, for connection failures, its code (ECONNREFUSED…), never just "fetch failed". */
function describeProbeError(error: unknown): string {
  const { message, code } = error as { message?: unknown; code?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
}
