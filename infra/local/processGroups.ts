/**
 * The launcher starts each service, PostgreSQL and Redis in a process group of its own
 * (`spawn(…, { detached: true })`): a terminal's Ctrl-C then reaches the launcher alone, which
 * stops them in order, instead of every process at once. These signal a whole group (the
 * service and anything it started). Windows has no process groups: there the process itself.
 */
export function signalGroup(leaderPid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(process.platform === 'win32' ? leaderPid : -leaderPid, signal);
    return true;
  } catch {
    // ESRCH: the group has no process left.
    return false;
  }
}

/** True while any process of the group is alive (or not ours to signal, which still means alive). */
export function groupAlive(leaderPid: number): boolean {
  try {
    process.kill(process.platform === 'win32' ? leaderPid : -leaderPid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
