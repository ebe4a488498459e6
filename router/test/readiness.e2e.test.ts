import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRouter, readRouterConfig, type Router } from '@booking/router';
import { SUBGRAPH_NAMES } from '@booking/runtime';
import { findFreePort, startRedisServer, TEST_SIGNING_SECRET, testKeyPrefix, type RunningRedis } from '@booking/testkit';

/**
 * What /ready rests on, and what it deliberately does not: a router whose subgraphs are all
 * unreachable and whose Redis goes away is still ready (it serves what it can), and says which
 * state its revoked sessions are in.
 */
let redis: RunningRedis;
let redisPort: number;
let router: Router;
let readyUrl: string;
const dataDir = mkdtempSync(join(tmpdir(), 'router-ready-'));

interface Report {
  status: string;
  subgraphs: number;
  revocations: string;
}

async function ready(): Promise<{ status: number; report: Report }> {
  const response = await fetch(readyUrl, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, report: (await response.json()) as Report };
}

async function untilRevocations(state: string, timeoutMs = 20_000): Promise<{ status: number; report: Report }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await ready();
    if (answer.report.revocations === state) return answer;
    if (Date.now() > deadline) throw new Error(`revocations never became ${state}: ${JSON.stringify(answer)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  redisPort = await findFreePort();
  redis = await startRedisServer({ port: redisPort, dir: dataDir, appendOnly: false });
  // Nothing listens on this port: every subgraph is "down".
  const nowhere = `http://127.0.0.1:${await findFreePort()}/graphql`;
  router = await createRouter(
    readRouterConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      ROUTER_SIGNING_SECRET: TEST_SIGNING_SECRET,
      REDIS_URL: redis.url,
      EVENT_KEY_PREFIX: testKeyPrefix('ready'),
      SUPERGRAPH_WATCH: 'false',
      JWKS_URL: nowhere,
      ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, nowhere])),
    }),
  );
  readyUrl = `${await router.listen()}/ready`;
});
afterAll(async () => {
  await router?.close();
  await redis?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('is ready with every subgraph unreachable: the supergraph is planned, and that is what it rests on', async () => {
  expect(await ready()).toEqual({ status: 200, report: { status: 'ready', subgraphs: 4, revocations: 'current', service: 'router' } });
});

test('stays ready while Redis is gone, reporting its revoked sessions as stale, and current again once Redis is back', async () => {
  await redis.stop();
  expect(await untilRevocations('stale')).toMatchObject({ status: 200, report: { status: 'ready' } });
  redis = await startRedisServer({ port: redisPort, dir: dataDir, appendOnly: false });
  expect(await untilRevocations('current')).toMatchObject({ status: 200, report: { status: 'ready' } });
});
