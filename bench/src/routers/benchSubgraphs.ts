/**
 * Our four real subgraphs as the benchmarks run them: fresh databases of their own (on
 * DATABASE_URL, else an embedded PostgreSQL), Redis (REDIS_URL, else a redis-server of its
 * own), the production profile, pinned to the service core, each waited for until ready.
 * Everything is undone by the caller's teardown.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { dropDatabases, ensureDatabases, findFreePort, startEmbeddedPostgres } from '@booking/infra';
import { workloadRedis, type Teardown } from './harness';
import { startPinned } from './processes';
import { ROOT } from './routersUnderTest';

export const SUBGRAPHS = ['accounts', 'catalog', 'bookings', 'billing'] as const;
export type Subgraph = (typeof SUBGRAPHS)[number];

export interface BenchSubgraphs {
  readonly ports: Readonly<Record<Subgraph, number>>;
  /** Each subgraph's database URL. */
  readonly databases: Readonly<Record<Subgraph, string>>;
  readonly redisUrl: string;
  /** The Redis key prefix of their event streams (a router beside them uses it too). */
  readonly keyPrefix: string;
  /** The secret the router signs its calls with. */
  readonly secret: string;
  graphqlUrl(name: Subgraph): string;
}

export async function startBenchSubgraphs(
  teardown: Teardown,
  options: { readonly serviceCore: number; readonly seedDemo: boolean; readonly env?: NodeJS.ProcessEnv },
): Promise<BenchSubgraphs> {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const postgres = await startEmbeddedPostgres({ dataDir: resolve(ROOT, '.data', 'bench-postgres'), port: await findFreePort(), log: () => undefined });
    teardown.add(() => postgres.stop());
    adminUrl = postgres.adminUrl;
  }
  const redisUrl = await workloadRedis(teardown, resolve(ROOT, '.data', 'bench-redis'));
  const prefix = `bench_${randomBytes(3).toString('hex')}_`;
  const names = SUBGRAPHS.map((name) => `${prefix}${name}`);
  const created = await ensureDatabases(adminUrl, names);
  const admin = adminUrl;
  teardown.add(() => dropDatabases(admin, names));
  const databases = Object.fromEntries(SUBGRAPHS.map((name) => [name, created[`${prefix}${name}`] as string])) as Record<Subgraph, string>;

  const secret = randomBytes(32).toString('hex');
  // Production profile: accounts encrypts its signing keys at rest (fresh databases).
  const signingKeyEncryptionKey = randomBytes(32).toString('hex');
  const ports = Object.fromEntries(await Promise.all(SUBGRAPHS.map(async (name) => [name, await findFreePort()] as const))) as Record<Subgraph, number>;
  for (const name of SUBGRAPHS) {
    const service = startPinned({
      name,
      core: options.serviceCore,
      nodeArgs: [resolve(ROOT, 'subgraphs', name, 'dist', 'src', 'main.js')],
      env: {
        PORT: String(ports[name]),
        HOST: '127.0.0.1',
        [`${name.toUpperCase()}_DATABASE_URL`]: databases[name],
        ROUTER_SIGNING_SECRET: secret,
        REDIS_URL: redisUrl,
        EVENT_KEY_PREFIX: `${prefix}:`,
        SEED_DEMO: String(options.seedDemo),
        LOG_LEVEL: 'warn',
        NODE_ENV: 'production',
        SIGNING_KEY_ENCRYPTION_KEY: signingKeyEncryptionKey,
        ...options.env,
      },
    });
    teardown.add(() => service.stop());
    await service.waitUntilReady(async () => (await fetch(`http://127.0.0.1:${ports[name]}/ready`)).ok);
  }
  return { ports, databases, redisUrl, keyPrefix: `${prefix}:`, secret, graphqlUrl: (name) => `http://127.0.0.1:${ports[name]}/graphql` };
}
