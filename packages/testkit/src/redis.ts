import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: run tests through jest (globalSetup)');
  return url;
}

/** A key prefix of this test's own, so parallel runs on one Redis never see each other's keys. */
export function testKeyPrefix(label: string): string {
  return `test:${label}:${Date.now().toString(36)}${randomBytes(3).toString('hex')}:`;
}

export function connectRedis(url: string = testRedisUrl()): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
}

/** Deletes every key under a prefix (SCAN, never KEYS). */
export async function dropKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** A redis-server of a test's own (to stop and start again), as `npm start` runs one. */
export { startRedisServer, type RunningRedis } from '../../../infra/local/redisServer';
