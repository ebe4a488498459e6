/**
 * The stack the refusal benchmark runs against: the four real subgraphs on PostgreSQL
 * (fresh databases, demo data), each behind the bench proxy in `live` mode, which passes every
 * request through and counts it; our router, in the production profile with its default limits,
 * routed at the proxy. The router runs alone on core 0; subgraphs and proxy on core 1.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { dropDatabases, ensureDatabases, findFreePort, startEmbeddedPostgres, startRedisServer } from '@booking/infra';
import { Teardown } from '../routers/harness';
import { graphqlAnswers, startPinned, startReplayProxyProcess } from '../routers/processes';
import { ROOT } from '../routers/routersUnderTest';

const SUBGRAPHS = ['accounts', 'catalog', 'bookings', 'billing'] as const;
type Subgraph = (typeof SUBGRAPHS)[number];

export interface RefusalStack {
  readonly routerUrl: string;
  readonly routerPid: number;
  /** Requests the subgraphs have received so far, all four together (counted by the proxy). */
  subgraphRequests(): Promise<number>;
  stop(): Promise<void>;
}

export interface StackOptions {
  readonly routerCore: number;
  readonly serviceCore: number;
  /** Where the router writes a V8 CPU profile (`node --cpu-prof`), when profiling. */
  readonly cpuProfileDir?: string;
}

export async function startRefusalStack(options: StackOptions): Promise<RefusalStack> {
  const teardown = new Teardown();
  try {
    let adminUrl = process.env.DATABASE_URL;
    if (!adminUrl) {
      const postgres = await startEmbeddedPostgres({ dataDir: resolve(ROOT, '.data', 'bench-postgres'), port: await findFreePort(), log: () => undefined });
      teardown.add(() => postgres.stop());
      adminUrl = postgres.adminUrl;
    }
    let redisUrl = process.env.REDIS_URL;
    if (!redisUrl) {
      const redis = await startRedisServer({ port: await findFreePort(), dir: resolve(ROOT, '.data', 'bench-redis'), appendOnly: false });
      teardown.add(() => redis.stop());
      redisUrl = redis.url;
    }
    const prefix = `bench_${randomBytes(3).toString('hex')}_`;
    const names = SUBGRAPHS.map((name) => `${prefix}${name}`);
    const databases = await ensureDatabases(adminUrl, names);
    const admin = adminUrl;
    teardown.add(() => dropDatabases(admin, names));

    const secret = randomBytes(32).toString('hex');
    const ports = Object.fromEntries(await Promise.all(SUBGRAPHS.map(async (name) => [name, await findFreePort()] as const))) as Record<Subgraph, number>;
    for (const name of SUBGRAPHS) {
      const service = startPinned({
        name,
        core: options.serviceCore,
        nodeArgs: [resolve(ROOT, 'subgraphs', name, 'dist', 'src', 'main.js')],
        env: {
          PORT: String(ports[name]),
          HOST: '127.0.0.1',
          [`${name.toUpperCase()}_DATABASE_URL`]: databases[`${prefix}${name}`],
          ROUTER_SIGNING_SECRET: secret,
          REDIS_URL: redisUrl,
          EVENT_KEY_PREFIX: `${prefix}:`,
          SEED_DEMO: 'true',
          LOG_LEVEL: 'warn',
          NODE_ENV: 'production',
          // Production profile: accounts encrypts its signing keys at rest (fresh databases).
          SIGNING_KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
        },
      });
      teardown.add(() => service.stop());
      await service.waitUntilReady(async () => (await fetch(`http://127.0.0.1:${ports[name]}/ready`)).ok);
    }

    // The router's calls to the subgraphs (its own signature on them) pass through, counted.
    const proxy = await startReplayProxyProcess(options.serviceCore, {
      mode: 'live',
      targets: Object.fromEntries(SUBGRAPHS.map((name) => [name, `http://127.0.0.1:${ports[name]}/graphql`])),
    });
    teardown.add(() => proxy.process.stop());

    const routerPort = await findFreePort();
    const profile = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
    if (options.cpuProfileDir) mkdirSync(options.cpuProfileDir, { recursive: true });
    const router = startPinned({
      name: 'router',
      core: options.routerCore,
      nodeArgs: [...profile, resolve(ROOT, 'router', 'dist', 'main.js')],
      env: {
        // Production profile and default limits: nothing about protection is set here.
        NODE_ENV: 'production',
        PORT: String(routerPort),
        HOST: '127.0.0.1',
        ROUTER_SIGNING_SECRET: secret,
        REDIS_URL: redisUrl,
        EVENT_KEY_PREFIX: `${prefix}:`,
        JWKS_URL: `http://127.0.0.1:${ports.accounts}/.well-known/jwks.json`,
        SUPERGRAPH_WATCH: 'false',
        LOG_LEVEL: 'warn',
        ...Object.fromEntries(SUBGRAPHS.map((name) => [`${name.toUpperCase()}_URL`, `${proxy.url}/${name}`])),
      },
    });
    teardown.add(() => router.stop());
    const routerUrl = `http://127.0.0.1:${routerPort}/graphql`;
    await router.waitUntilReady(graphqlAnswers(routerUrl));

    return {
      routerUrl,
      routerPid: router.pid,
      async subgraphRequests() {
        const stats = (await (await fetch(`${proxy.url}/__bench/stats`)).json()) as { forwarded: number };
        return stats.forwarded;
      },
      stop: () => teardown.run(),
    };
  } catch (error) {
    await teardown.run();
    throw error;
  }
}
