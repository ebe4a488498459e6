import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Names the test run in the environment of every process it starts. globalSetup sets it in
 * jest's own process before the workers are started; the workers, and whatever they start
 * (a launcher, its services, redis-server, PostgreSQL and their children), inherit it, even
 * a process that moved to a process group or session of its own (detached) and whose parent
 * has died. That is what finds a leftover however it escaped: its ancestry is lost, its
 * environment is not.
 */
export const TEST_RUN_VARIABLE = 'BOOKING_TEST_RUN';

/** Gives this run its own mark (a fresh one, even when an outer run's mark was inherited). */
export function markTestRun(): string {
  const mark = `${process.pid}-${randomUUID()}`;
  process.env[TEST_RUN_VARIABLE] = mark;
  return mark;
}

export interface MarkedProcess {
  readonly pid: number;
  readonly command: string;
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'latin1');
  } catch {
    return undefined; // gone already, or not ours to read
  }
}

/** `/proc/<pid>/stat`: state and parent, read after the command name (which may hold spaces and parentheses). */
function statusOf(pid: number): { state: string; parent: number } | undefined {
  const stat = readProc(pid, 'stat');
  if (!stat) return undefined;
  const [state, parent] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return state && parent ? { state, parent: Number(parent) } : undefined;
}

/** Running (or stopped), not gone and not a zombie waiting for its parent to reap it. */
export function isRunning(pid: number): boolean {
  const status = statusOf(pid);
  return status !== undefined && status.state !== 'Z' && status.state !== 'X';
}

/** This process and its ancestors, which may carry an outer run's mark and must never be signalled. */
function selfAndAncestors(): Set<number> {
  const lineage = new Set<number>();
  for (let pid = process.pid; pid > 1 && !lineage.has(pid); pid = statusOf(pid)?.parent ?? 0) lineage.add(pid);
  return lineage;
}

/**
 * The processes still running with `TEST_RUN_VARIABLE=mark` in their environment, except this
 * process and its ancestors. Linux only (it reads /proc); elsewhere none are found.
 */
export function processesMarked(mark: string, variable: string = TEST_RUN_VARIABLE): MarkedProcess[] {
  if (process.platform !== 'linux') return [];
  const spared = selfAndAncestors();
  const entry = `${variable}=${mark}`;
  const found: MarkedProcess[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (spared.has(pid) || !isRunning(pid)) continue;
    if (!readProc(pid, 'environ')?.split('\0').includes(entry)) continue;
    const command = (readProc(pid, 'cmdline') ?? '').split('\0').join(' ').trim();
    // This process's own reaper (infra/local/groupReaper.ts) ends when this process does: with
    // jest in band (one test file) it is still rightly waiting here, and is no leftover.
    if (statusOf(pid)?.parent === process.pid && /reaperProcess\.js$/.test(command)) continue;
    found.push({ pid, command });
  }
  return found;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // ESRCH: it ended meanwhile.
  }
}

/**
 * Stops what a run left running: SIGTERM (PostgreSQL shuts down, a launcher stops its
 * services), then SIGKILL for whatever is still there after `graceMs`. Answers what it found,
 * so the caller can say which processes a test failed to stop.
 */
export async function stopLeftoverProcesses(mark: string, graceMs = 5_000): Promise<MarkedProcess[]> {
  const leftovers = processesMarked(mark);
  if (leftovers.length === 0) return leftovers;
  for (const { pid } of leftovers) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (leftovers.some(({ pid }) => isRunning(pid)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // Any started meanwhile (a launcher restarting a service as it was told to stop) go too.
  for (const { pid } of [...leftovers, ...processesMarked(mark)]) if (isRunning(pid)) signal(pid, 'SIGKILL');
  return leftovers;
}
