import { stopLeftoverProcesses, TEST_RUN_VARIABLE } from './leftoverProcesses';

/**
 * Stops what globalSetup started, then anything else this run started that is still running:
 * jest's workers have exited by now, so every process carrying the run's mark is a leftover —
 * of a test that timed out or failed before its teardown, or of a worker that was killed.
 */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__embeddedPostgres?.stop();
  await globalThis.__testRedis?.stop();
  const mark = process.env[TEST_RUN_VARIABLE];
  if (!mark) return;
  const leftovers = await stopLeftoverProcesses(mark);
  if (leftovers.length > 0) {
    process.stderr.write(
      `\nglobalTeardown stopped ${leftovers.length} process(es) the tests left running (a test must stop what it starts):\n` +
        leftovers.map(({ pid, command }) => `  ${pid} ${command.slice(0, 160)}`).join('\n') +
        '\n',
    );
  }
}
