/**
 * The reaper: a small process of its own (see groupReaper.ts) holding the read end of a pipe
 * from the process that started it. Lines on the pipe say which process groups to look after:
 *
 *   watch <leader pid> <stage> <signal> <grace ms>
 *   release <leader pid>
 *
 * When the pipe closes — its parent exited, crashed or was SIGKILLed — every group still watched
 * gets its signal, stage 0 first, then stage 1 (services before the databases they use), and
 * SIGKILL once its grace has passed. A parent that stopped everything itself has released it
 * all, and the reaper just exits.
 */
import { createInterface } from 'node:readline';
import { groupAlive, signalGroup } from './processGroups';

interface Watched {
  readonly stage: number;
  readonly signal: NodeJS.Signals;
  readonly graceMs: number;
}

const watched = new Map<number, Watched>();

function apply(line: string): void {
  const [command, pid, stage, signal, graceMs] = line.trim().split(/\s+/);
  const leader = Number(pid);
  if (!Number.isInteger(leader) || leader <= 0) return;
  if (command === 'release') watched.delete(leader);
  if (command === 'watch') watched.set(leader, { stage: Number(stage) || 0, signal: (signal ?? 'SIGTERM') as NodeJS.Signals, graceMs: Number(graceMs) || 5_000 });
}

async function reap(): Promise<void> {
  const stages = [...new Set([...watched.values()].map((group) => group.stage))].sort((a, b) => a - b);
  for (const stage of stages) {
    const groups = [...watched].filter(([, group]) => group.stage === stage);
    const signalled = groups.filter(([pid, group]) => signalGroup(pid, group.signal));
    if (signalled.length === 0) continue;
    process.stderr.write(`reaper   | its parent ended without stopping them: stopping process group(s) ${signalled.map(([pid]) => pid).join(', ')}\n`);
    const deadline = Date.now() + Math.max(...signalled.map(([, group]) => group.graceMs));
    while (signalled.some(([pid]) => groupAlive(pid)) && Date.now() < deadline) await new Promise((wait) => setTimeout(wait, 50));
    for (const [pid] of signalled) if (groupAlive(pid)) signalGroup(pid, 'SIGKILL');
  }
}

// Its own group already keeps a terminal's Ctrl-C away; a hang-up must not stop it either.
process.on('SIGHUP', () => undefined);
process.on('SIGINT', () => undefined);
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);
createInterface({ input: process.stdin })
  .on('line', apply)
  .on('close', () => {
    void reap().finally(() => process.exit(0));
  });
