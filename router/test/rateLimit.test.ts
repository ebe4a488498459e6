import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLogger } from '@booking/runtime';
import { connectRedis, dropKeys, findFreePort, testKeyPrefix } from '@booking/testkit';
import { Redis } from 'ioredis';
import { startRedisServer, type RunningRedis } from '../../infra/local/redisServer';
import { readRouterConfig } from '../src/config';
import { supergraphState } from '../src/liveSupergraph';
import { createProtection } from '../src/pipeline/protection';
import { RateLimits, type RateLimitSettings } from '../src/pipeline/rateLimit';

const logger = createLogger('rate-limit-test', 'silent');

function settings(keyPrefix: string, overrides: Partial<RateLimitSettings> = {}): RateLimitSettings {
  return {
    windowSeconds: 2,
    points: { query: 10, mutation: 3, subscription: 2 },
    whenRedisFails: 'open',
    redisTimeoutMs: 200,
    keyPrefix,
    // 1 % of these budgets is less than a point: every request is counted in Redis.
    prefetchFraction: 0.01,
    ...overrides,
  };
}

/** Redis clients for one describe block, its keys dropped and its clients closed after it. */
function redisClients(prefix: string): () => Promise<Redis> {
  const clients: Redis[] = [];
  afterAll(async () => {
    const cleaner = connectRedis();
    await dropKeys(cleaner, prefix);
    cleaner.disconnect();
    for (const client of clients) client.disconnect();
  });
  return async () => {
    const created = connectRedis();
    clients.push(created);
    await created.ping();
    return created;
  };
}

describe('RateLimits on a real Redis', () => {
  const prefix = testKeyPrefix('ratelimit');
  const client = redisClients(prefix);

  it('shares one budget between two router instances, refuses the next with 429 and headers, and allows again after the window', async () => {
    const first = new RateLimits(await client(), settings(prefix), logger);
    const second = new RateLimits(await client(), settings(prefix), logger);
    const outcomes = [];
    for (let i = 0; i < 10; i += 1) outcomes.push(await (i % 2 === 0 ? first : second).consume('query', 'user:a', 1));
    expect(outcomes.every((outcome) => outcome.allowed)).toBe(true);
    expect(outcomes[9]?.headers).toMatchObject({ 'ratelimit-limit': '10', 'ratelimit-remaining': '0', 'ratelimit-policy': '10;w=2' });
    const refused = await second.consume('query', 'user:a', 1);
    expect(refused.allowed).toBe(false);
    if (refused.allowed) return;
    expect(refused.refusal).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    // Another caller, and another budget of the same caller, are untouched.
    expect((await first.consume('query', 'user:b', 1)).allowed).toBe(true);
    // What is charged is the cost rounded up, at least 1, at most the whole budget.
    expect(await first.consume('query', 'user:c', 2.5)).toMatchObject({ allowed: true, charged: 3 });
    expect(await first.consume('query', 'user:d', 0)).toMatchObject({ allowed: true, charged: 1 });
    expect(await first.consume('query', 'user:e', 1_000)).toMatchObject({ allowed: true, charged: 10 });
    expect((await first.consume('mutation', 'user:a', 1)).allowed).toBe(true);
    // After the window the caller is allowed again.
    const deadline = Date.now() + 5_000;
    let again = await first.consume('query', 'user:a', 1);
    while (!again.allowed && Date.now() < deadline) {
      await new Promise((wait) => setTimeout(wait, 100));
      again = await first.consume('query', 'user:a', 1);
    }
    expect(again.allowed).toBe(true);
  });

  it('spends the estimated cost, so a cheap operation passes where an expensive one does not', async () => {
    const limits = new RateLimits(await client(), settings(prefix), logger);
    expect((await limits.consume('query', 'user:c', 6)).allowed).toBe(true);
    const refused = await limits.consume('query', 'user:c', 6);
    expect(refused.allowed).toBe(false);
    // Nothing was charged for it: 4 are left, and a cheaper operation spends them.
    expect(refused.headers['ratelimit-remaining']).toBe('4');
    expect((await limits.consume('query', 'user:c', 4)).allowed).toBe(true);
    expect((await limits.consume('query', 'user:c', 1)).allowed).toBe(false);
    // Dearer than the whole budget: it spends the budget (once per window) rather than never running.
    expect((await limits.consume('query', 'user:d', 1_000)).allowed).toBe(true);
    expect((await limits.consume('query', 'user:d', 1)).allowed).toBe(false);
  });
});

describe('RateLimits taking advances from Redis', () => {
  const prefix = testKeyPrefix('ratelimit-prefetch');
  const client = redisClients(prefix);
  const big = (overrides: Partial<RateLimitSettings> = {}) =>
    settings(prefix, { windowSeconds: 30, points: { query: 1_000, mutation: 1_000, subscription: 1_000 }, prefetchFraction: 0.01, ...overrides });

  it('charges an advance with the first operation and spends it without Redis until it runs out', async () => {
    const redis = await client();
    const counted = async () => Number(await redis.get(`${prefix}ratelimit:query:user:p`));
    const limits = new RateLimits(redis, big(), logger);
    const first = await limits.consume('query', 'user:p', 4);
    expect(first).toMatchObject({ allowed: true, headers: { 'ratelimit-remaining': '996' } });
    expect(await counted()).toBe(14); // 4, and an advance of 1 % of 1,000
    const fromAdvance = await limits.consume('query', 'user:p', 4);
    expect(fromAdvance).toMatchObject({ allowed: true, headers: { 'ratelimit-remaining': '992' } });
    expect(await counted()).toBe(14);
    expect((await limits.consume('query', 'user:p', 4)).allowed).toBe(true);
    expect(await counted()).toBe(14);
    // 2 points held, 4 wanted: Redis is asked for the other 2 and a new advance.
    expect((await limits.consume('query', 'user:p', 4)).allowed).toBe(true);
    expect(await counted()).toBe(26);
  });

  it('never lets a caller past its budget across instances, and counts exactly once an advance no longer fits', async () => {
    const redis = await client();
    const instances = [new RateLimits(redis, big(), logger), new RateLimits(await client(), big(), logger), new RateLimits(await client(), big(), logger)];
    let admitted = 0;
    let refusedAt = -1;
    for (let i = 0; i < 400 && refusedAt < 0; i += 1) {
      const decision = await (instances[i % 3] as RateLimits).consume('query', 'user:q', 3);
      if (decision.allowed) admitted += 3;
      else refusedAt = i;
    }
    // Charged in Redis before they are spent, advances never let anyone past the budget; at
    // most the two other instances' advances (10 each) stay unspent when one is refused.
    expect(refusedAt).toBeGreaterThan(0);
    expect(admitted).toBeLessThanOrEqual(1_000);
    expect(admitted).toBeGreaterThanOrEqual(1_000 - 2 * 10 - 3);
    expect(Number(await redis.get(`${prefix}ratelimit:query:user:q`))).toBeLessThanOrEqual(1_000);
  });

  it('counts every request in Redis with RATE_LIMIT_PREFETCH_PERCENT=0', async () => {
    const redis = await client();
    const limits = new RateLimits(redis, big({ prefetchFraction: 0 }), logger);
    await limits.consume('query', 'user:r', 4);
    await limits.consume('query', 'user:r', 4);
    expect(Number(await redis.get(`${prefix}ratelimit:query:user:r`))).toBe(8);
  });
});

describe('RateLimits when Redis fails', () => {
  let redis: RunningRedis;
  let dir: string;
  const clients: Redis[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ratelimit-redis-'));
    redis = await startRedisServer({ port: await findFreePort(), dir, appendOnly: false });
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const client = async () => {
    const created = new Redis(redis.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, disconnectTimeout: 50 });
    clients.push(created);
    await new Promise((ready) => created.once('ready', ready));
    return created;
  };

  it('answers by its policy within its timeout when Redis hangs, never waits for it', async () => {
    const open = new RateLimits(await client(), settings('hang:', { whenRedisFails: 'open' }), logger);
    const closed = new RateLimits(await client(), settings('hang:', { whenRedisFails: 'closed' }), logger);
    expect((await open.consume('query', 'x', 1)).allowed).toBe(true);
    expect((await closed.consume('query', 'x', 1)).allowed).toBe(true);
    const admin = await client();
    // Redis holds every client's commands for 1.5 s: connected, but not answering.
    const sleeping = admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
    await new Promise((wait) => setTimeout(wait, 50));
    const started = Date.now();
    const [whenOpen, whenClosed] = await Promise.all([open.consume('query', 'x', 1), closed.consume('query', 'x', 1)]);
    expect(Date.now() - started).toBeLessThan(1_400);
    expect(whenOpen).toEqual({ allowed: true, headers: {}, charged: 0 });
    expect(whenClosed).toMatchObject({ allowed: false, refusal: { status: 503, code: 'SERVICE_UNAVAILABLE' } });
    await sleeping;
  });

  it('answers by its policy at once when Redis is gone', async () => {
    const open = new RateLimits(await client(), settings('gone:', { whenRedisFails: 'open' }), logger);
    const closed = new RateLimits(await client(), settings('gone:', { whenRedisFails: 'closed' }), logger);
    await redis.stop();
    await new Promise((wait) => setTimeout(wait, 100));
    expect(await open.consume('query', 'y', 1)).toEqual({ allowed: true, headers: {}, charged: 0 });
    expect(await closed.consume('query', 'y', 1)).toMatchObject({ allowed: false, refusal: { status: 503 } });
  });
});

describe('whether rate limits are on', () => {
  const state = supergraphState(readFileSync(resolve(__dirname, '..', '..', 'schema', 'supergraph.graphql'), 'utf8'), () => ({}));
  const base = { ROUTER_SIGNING_SECRET: 'x'.repeat(64), LOG_LEVEL: 'silent' };
  const rateLimited = async (env: Record<string, string>) => {
    const protection = await createProtection(readRouterConfig({ ...base, ...env }), () => state, logger);
    await protection.close();
    return protection.rateLimited;
  };

  it('turns them on in the production profile wherever there is a Redis, and only when asked elsewhere', async () => {
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    expect(await rateLimited({ NODE_ENV: 'production', REDIS_URL: redisUrl })).toBe(true);
    expect(await rateLimited({ NODE_ENV: 'production' })).toBe(false);
    expect(await rateLimited({ NODE_ENV: 'production', REDIS_URL: redisUrl, RATE_LIMIT: 'false' })).toBe(false);
    expect(await rateLimited({ REDIS_URL: redisUrl })).toBe(false);
    expect(await rateLimited({ REDIS_URL: redisUrl, RATE_LIMIT: 'true' })).toBe(true);
    await expect(rateLimited({ RATE_LIMIT: 'true' })).rejects.toThrow(/RATE_LIMIT needs REDIS_URL/);
    expect(() => readRouterConfig({ ...base, RATE_LIMIT_PREFETCH_PERCENT: '11' })).toThrow(/RATE_LIMIT_PREFETCH_PERCENT/);
  });
});
