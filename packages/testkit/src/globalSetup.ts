import { resolve } from 'node:path';
import { startEmbeddedPostgres, type RunningPostgres } from '../../../infra/local/embeddedPostgres';
import { startRedisServer, type RunningRedis } from '../../../infra/local/redisServer';
import { markTestRun } from './leftoverProcesses';
import { findFreePort } from './ports';

declare global {
  // Shared between jest's globalSetup and globalTeardown (same process).
  var __embeddedPostgres: RunningPostgres | undefined;
  var __testRedis: RunningRedis | undefined;
}

/**
 * Tests use the PostgreSQL server that DATABASE_URL points at (CI: the machine's server),
 * else start the embedded one. Each test file then creates databases of its own in it.
 */
export default async function globalSetup(): Promise<void> {
  // Before anything is started, so that all of it carries the mark globalTeardown looks for.
  markTestRun();
  await setUpRedis();
  if (process.env.DATABASE_URL) {
    process.env.TEST_ADMIN_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const port = await findFreePort();
  let postgres: RunningPostgres;
  try {
    postgres = await startEmbeddedPostgres({
      dataDir: resolve(__dirname, '..', '..', '..', '.data', 'test-postgres'),
      port,
      log: () => undefined,
    });
  } catch (error) {
    // jest runs no teardown after a failed setup: stop what this setup started.
    await globalThis.__testRedis?.stop();
    throw error;
  }
  globalThis.__embeddedPostgres = postgres;
  process.env.TEST_ADMIN_DATABASE_URL = postgres.adminUrl;
}

/** REDIS_URL when set (CI: the machine's Redis), else a redis-server of our own on a free port. */
async function setUpRedis(): Promise<void> {
  if (process.env.REDIS_URL) {
    process.env.TEST_REDIS_URL = process.env.REDIS_URL;
    return;
  }
  const redis = await startRedisServer({
    port: await findFreePort(),
    dir: resolve(__dirname, '..', '..', '..', '.data', 'test-redis'),
    appendOnly: false,
  });
  globalThis.__testRedis = redis;
  process.env.TEST_REDIS_URL = redis.url;
}
