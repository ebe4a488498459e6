import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChildService, type ChildService } from '../local/childService';
import { findFreeFetchBlockedPort, findFreePort } from '../local/ports';
import { groupAlive } from '../local/processGroups';

/**
 * How the launcher sees that a service is ready (childService.ts), against real processes: a
 * port fetch refuses is no obstacle, and a service that never becomes ready is reported with
 * what its last readiness check got, not only "not ready within N ms".
 */
describe("a child service's readiness", () => {
  let dir: string;
  const started: ChildService[] = [];

  /** A real process that answers every request with `status` and `body` on `port`, and says when it listens. */
  function startService(port: number, status: number, body: string): { service: ChildService; listening: Promise<void> } {
    const script = join(dir, `service-${port}.js`);
    writeFileSync(
      script,
      `require('node:http').createServer((_, response) => { response.writeHead(${status}, { 'content-type': 'application/json' }); response.end(${JSON.stringify(body)}); })` +
        `.listen(${port}, '127.0.0.1', () => console.log('listening'));\n`,
    );
    let heard: () => void = () => undefined;
    const listening = new Promise<void>((resolve) => (heard = resolve));
    const service = startChildService({ name: 'accounts', script, env: process.env, log: (_, line) => line === 'listening' && heard() });
    started.push(service);
    return { service, listening };
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'child-service-'));
  });
  afterEach(async () => {
    for (const service of started.splice(0)) await service.stop();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is seen on a port fetch refuses ("bad port")', async () => {
    const port = await findFreeFetchBlockedPort();
    const { service } = startService(port, 200, '{"status":"ready"}');
    await expect(service.waitUntilReady(`http://127.0.0.1:${port}/ready`, 60_000)).resolves.toBeUndefined();
    await service.stop();
    expect(groupAlive(service.process.pid as number)).toBe(false);
  });

  it('that never comes is reported with the last answer: its HTTP status and body', async () => {
    const port = await findFreePort();
    const { service, listening } = startService(port, 503, '{"status":"database unreachable","service":"accounts"}');
    await listening;
    await expect(service.waitUntilReady(`http://127.0.0.1:${port}/ready`, 10_000)).rejects.toThrow(
      `accounts was not ready at http://127.0.0.1:${port}/ready within 10000 ms; last attempt: HTTP 503: {"status":"database unreachable","service":"accounts"}`,
    );
  });

  it('that never comes is reported with the last connection error', async () => {
    const port = await findFreePort();
    // Listens elsewhere: nothing answers on `port`.
    const { service, listening } = startService(await findFreePort(), 200, '{}');
    await listening;
    await expect(service.waitUntilReady(`http://127.0.0.1:${port}/ready`, 5_000)).rejects.toThrow(
      `accounts was not ready at http://127.0.0.1:${port}/ready within 5000 ms; last attempt: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });
});

/** What the launcher and bench:soak start a service with, and do to its output. */
describe("a child service's process", () => {
  let dir: string;
  let service: ChildService | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'child-process-'));
  });
  afterEach(async () => service?.stop());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs with its Node.js options before the script, and its stdout can be left unread and read again', async () => {
    const script = join(dir, 'ticker.js');
    writeFileSync(script, "console.log(JSON.stringify(process.execArgv));\nlet n = 0;\nsetInterval(() => console.log(`tick ${n++}`), 10);\n");
    const lines: string[] = [];
    service = startChildService({ name: 'router', script, nodeFlags: ['--max-semi-space-size=32'], env: process.env, log: (_, line) => lines.push(line) });
    const until = async (ok: () => boolean) => {
      for (const deadline = Date.now() + 10_000; !ok(); await new Promise((resolve) => setTimeout(resolve, 20))) {
        if (Date.now() > deadline) throw new Error(`gave up; lines: ${lines.slice(-5).join(' | ')}`);
      }
    };
    await until(() => lines.length > 3);
    expect(JSON.parse(lines[0] as string)).toEqual(['--enable-source-maps', '--max-semi-space-size=32']);

    service.pauseOutput();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const whenPaused = lines.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lines.length).toBe(whenPaused);

    service.resumeOutput();
    await until(() => lines.length > whenPaused + 5);
    // Nothing written while unread was lost: the ticks arrive in order, none missing.
    const ticks = lines.slice(1).map((line) => Number(line.split(' ')[1]));
    expect(ticks).toEqual(ticks.map((_, index) => index));
  });
});
