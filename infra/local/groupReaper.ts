import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface WatchOptions {
  /** Groups of a lower stage are stopped (and gone) before those of a higher one: 0 services, 1 databases. */
  readonly stage?: 0 | 1;
  /** What asks it to stop (SIGTERM; PostgreSQL's fast shutdown is SIGINT). */
  readonly signal?: NodeJS.Signals;
  /** How long it may take before SIGKILL. */
  readonly graceMs?: number;
}

/**
 * Stops the process groups this process started when it dies without stopping them itself,
 * even by SIGKILL: a separate reaper process (reaperProcess.ts) holds a pipe from this one and
 * acts when it closes. Without it, a service spawned into a group of its own (so that Ctrl-C
 * reaches only the launcher) would outlive a killed launcher or test run, holding its port.
 */
export interface GroupReaper {
  watch(leaderPid: number, options?: WatchOptions): void;
  /** The group has ended, or was stopped as it should be: nothing to do for it any more. */
  release(leaderPid: number): void;
}

const NO_REAPER: GroupReaper = { watch: () => undefined, release: () => undefined };

/** The compiled reaper beside this file, or — when this file runs as TypeScript source (tests) — in dist. */
function reaperScript(): string | undefined {
  const candidates = [join(__dirname, 'reaperProcess.js'), resolve(__dirname, '..', 'dist', 'local', 'reaperProcess.js')];
  return candidates.find((candidate) => existsSync(candidate));
}

function startReaper(): GroupReaper {
  const script = reaperScript();
  if (!script) {
    process.stderr.write('warning: infra/dist/local/reaperProcess.js is missing (run `npm run build`): processes started here are not stopped should this process be killed\n');
    return NO_REAPER;
  }
  // Its own group, so killing this process's group does not take the reaper with it.
  const reaper: ChildProcess = spawn(process.execPath, [script], { detached: true, windowsHide: true, stdio: ['pipe', 'ignore', 'inherit'] });
  const pipe = reaper.stdin;
  if (!pipe) return NO_REAPER;
  // Neither keeps this process alive: the pipe closing when it exits is the whole point.
  reaper.unref();
  (pipe as unknown as { unref(): void }).unref();
  pipe.on('error', () => undefined);
  reaper.on('error', (error) => process.stderr.write(`warning: the reaper did not start (${error.message}): processes started here are not stopped should this process be killed\n`));
  const send = (line: string) => {
    if (!pipe.destroyed) pipe.write(`${line}\n`);
  };
  return {
    watch: (pid, options = {}) => send(`watch ${pid} ${options.stage ?? 0} ${options.signal ?? 'SIGTERM'} ${options.graceMs ?? 5_000}`),
    release: (pid) => send(`release ${pid}`),
  };
}

let shared: GroupReaper | undefined;

/** This process's one reaper, started on first use. */
export function groupReaper(): GroupReaper {
  shared ??= startReaper();
  return shared;
}
