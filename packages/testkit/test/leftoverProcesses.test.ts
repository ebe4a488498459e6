import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { processesMarked, stopLeftoverProcesses, TEST_RUN_VARIABLE } from '@booking/testkit';

/** Starts `script` under `mark` and answers the pid it prints; the starter has exited by then. */
async function startUnder(mark: string, script: string): Promise<number> {
  const starter = spawn(process.execPath, ['-e', script], { env: { ...process.env, [TEST_RUN_VARIABLE]: mark }, stdio: ['ignore', 'pipe', 'inherit'] });
  let printed = '';
  starter.stdout.on('data', (chunk: Buffer) => (printed += String(chunk)));
  await once(starter, 'exit');
  return Number(printed.trim());
}

/** A process in a session of its own, whose parent exits at once: nothing links it to the run but its environment. */
const ESCAPED = (body: string) => `
  const { spawn } = require('node:child_process');
  const child = spawn(process.execPath, ['-e', ${JSON.stringify(body)}], { detached: true, stdio: 'ignore' });
  child.unref();
  console.log(child.pid);
`;

/** The safety net of globalTeardown (and the reason `.ci/run` can promise to leave nothing running). */
describe('leftover processes of a test run', () => {
  const started: number[] = [];
  afterAll(() => {
    for (const pid of started) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // stopped, as it should be
      }
    }
  });

  const linux = process.platform === 'linux' ? it : it.skip;

  linux('finds a process that escaped into a session of its own after its parent died, and stops it', async () => {
    const mark = `test-${randomUUID()}`;
    const escaped = await startUnder(mark, ESCAPED('setInterval(() => undefined, 1_000)'));
    started.push(escaped);
    expect(processesMarked(mark)).toEqual([{ pid: escaped, command: expect.stringContaining('setInterval') }]);
    expect((await stopLeftoverProcesses(mark)).map(({ pid }) => pid)).toEqual([escaped]);
    expect(processesMarked(mark)).toEqual([]);
  });

  linux('kills one that ignores SIGTERM once the grace is over', async () => {
    const mark = `test-${randomUUID()}`;
    const stubborn = await startUnder(mark, ESCAPED("process.on('SIGTERM', () => undefined); setInterval(() => undefined, 1_000)"));
    started.push(stubborn);
    await stopLeftoverProcesses(mark, 200);
    expect(processesMarked(mark)).toEqual([]);
  });

  linux('never lists the process that looks, or its ancestors, though they carry the mark', () => {
    const mark = process.env[TEST_RUN_VARIABLE];
    expect(mark).toBeDefined();
    expect(processesMarked(mark as string).map(({ pid }) => pid)).not.toContain(process.pid);
    expect(processesMarked(mark as string).map(({ pid }) => pid)).not.toContain(process.ppid);
  });
});
