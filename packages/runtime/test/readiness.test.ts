/**
 * /ready answers for what a subgraph needs to do its work: its database and its event
 * transport. A subgraph whose Redis is gone must leave its Service (503, saying why) while
 * /health stays 200 (restarting the process would not bring Redis back), and come back by
 * itself when Redis does. A subgraph with no transport at all must not start.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUBGRAPH_NAMES, streamKey } from '@booking/runtime';
import { connectRedis, dropKeys, findFreePort, startSubgraph, testKeyPrefix, type RunningSubgraph } from '@booking/testkit';
import { startRedisServer, type RunningRedis } from '../../../infra/local/redisServer';

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

async function get(url: string): Promise<Answer> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

/** Polls `url` until it answers `status` (a deadline, not a sleep: the machine may be loaded). */
async function untilStatus(url: string, status: number, timeoutMs = 20_000): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  let last: Answer | undefined;
  while (Date.now() < deadline) {
    last = await get(url);
    if (last.status === status) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function ownRedis(port: number, dir: string): Promise<RunningRedis> {
  const redis = await startRedisServer({ port, dir, appendOnly: true });
  cleanups.push(() => redis.stop());
  return redis;
}

async function subgraphsOn(redisUrl: string, eventKeyPrefix: string): Promise<RunningSubgraph[]> {
  const started = await Promise.all(SUBGRAPH_NAMES.map((name) => startSubgraph(name, { eventKeyPrefix, config: { redisUrl } })));
  for (const subgraph of started) cleanups.push(() => subgraph.dispose());
  return started;
}

describe('subgraph readiness follows the event transport', () => {
  it('turns 503, naming Redis, while Redis is down and 200 again when it returns; /health stays 200', async () => {
    const port = await findFreePort();
    const dir = mkdtempSync(join(tmpdir(), 'ready-redis-'));
    let redis = await ownRedis(port, dir);
    const subgraphs = await subgraphsOn(redis.url, testKeyPrefix('ready'));
    for (const { baseUrl } of subgraphs) await untilStatus(`${baseUrl}/ready`, 200);

    await redis.stop();
    for (const { name, baseUrl } of subgraphs) {
      const down = await untilStatus(`${baseUrl}/ready`, 503);
      expect(down.body).toEqual({
        status: 'not ready',
        service: name,
        problems: [expect.stringMatching(new RegExp(`^event transport: Redis at 127\\.0\\.0\\.1:${port} (unreachable|did not answer)`))],
      });
      expect((await get(`${baseUrl}/health`)).status).toBe(200);
    }

    redis = await ownRedis(port, dir);
    for (const { name, baseUrl } of subgraphs) {
      expect((await untilStatus(`${baseUrl}/ready`, 200)).body).toEqual({ status: 'ready', service: name });
    }
  });

  it('starts while Redis is unreachable, unready, and consumes once Redis is there', async () => {
    // A port nothing listens on yet: the Redis of a rollout that has not started.
    const port = await findFreePort();
    const eventKeyPrefix = testKeyPrefix('late-redis');
    const billing = await startSubgraph('billing', { eventKeyPrefix, config: { redisUrl: `redis://127.0.0.1:${port}` } });
    cleanups.push(() => billing.dispose());
    const down = await untilStatus(`${billing.baseUrl}/ready`, 503);
    expect(down.body).toMatchObject({ problems: [expect.stringMatching(/^event transport: Redis at 127\.0\.0\.1:\d+ unreachable/)] });
    expect((await get(`${billing.baseUrl}/health`)).status).toBe(200);

    const redis = await ownRedis(port, mkdtempSync(join(tmpdir(), 'late-redis-')));
    await untilStatus(`${billing.baseUrl}/ready`, 200);
    // Its consumer group, which it could not create at start, exists once Redis is back.
    const client = connectRedis(redis.url);
    cleanups.push(async () => {
      await dropKeys(client, eventKeyPrefix);
      client.disconnect();
    });
    const deadline = Date.now() + 20_000;
    let groups: unknown[] = [];
    while (Date.now() < deadline) {
      groups = (await client.xinfo('GROUPS', streamKey(eventKeyPrefix, 'bookings')).catch(() => [])) as unknown[];
      if (groups.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(groups).toEqual([expect.arrayContaining(['name', 'billing'])]);
  });

  it('shuts down while Redis is down', async () => {
    const redis = await ownRedis(await findFreePort(), mkdtempSync(join(tmpdir(), 'down-redis-')));
    const billing = await startSubgraph('billing', { eventKeyPrefix: testKeyPrefix('down-redis'), config: { redisUrl: redis.url } });
    cleanups.push(() => billing.dispose());
    await untilStatus(`${billing.baseUrl}/ready`, 200);
    await redis.stop();
    await untilStatus(`${billing.baseUrl}/ready`, 503);
    // Its consumer's read waits in ioredis' offline queue; closing must end it, not wait for Redis.
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('still closing after 30 s'), 30_000);
    });
    const closed = billing.stop().then(() => 'closed');
    await expect(Promise.race([closed, stuck]).finally(() => clearTimeout(timer))).resolves.toBe('closed');
  });

  it('refuses to start without REDIS_URL unless EVENT_TRANSPORT=memory', async () => {
    // The refusal comes before any connection: this database URL is never used.
    const nowhere = { url: 'postgres://nobody@127.0.0.1:1/nowhere', drop: async () => undefined };
    await expect(startSubgraph('catalog', { sharedDatabase: nowhere, config: { redisUrl: null } })).rejects.toThrow(/REDIS_URL is required/);

    const alone = await startSubgraph('catalog', { config: { redisUrl: null, eventTransport: 'memory' } });
    cleanups.push(() => alone.dispose());
    expect(await get(`${alone.baseUrl}/ready`)).toEqual({ status: 200, body: { status: 'ready', service: 'catalog' } });
  });
});
