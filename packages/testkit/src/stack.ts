import { createServer as createAccounts, parseEncryptionKey, PrivateKeyVault } from '@booking/accounts';
import type { JWK } from 'jose';
import { createServer as createBilling } from '@booking/billing';
import { createServer as createBookings } from '@booking/bookings';
import { createServer as createCatalog } from '@booking/catalog';
import { createRouter, readRouterConfig, type Router } from '@booking/router';
import {
  DEFAULT_LOG_BUFFER_BYTES,
  DEFAULT_SHUTDOWN_DEADLINE_MS,
  routerCallSigner,
  SUBGRAPH_NAMES,
  type Env,
  type SubgraphConfig,
  type SubgraphName,
  type SubgraphServer,
  type Viewer,
} from '@booking/runtime';
import { createTestDatabase, type TestDatabase } from './database';
import { graphqlRequest, graphqlRequestBody, postGraphQL, type GraphQLResponse } from './graphqlClient';
import { testKeyPrefix, testRedisUrl } from './redis';

/** The router ↔ subgraph secret of every test stack. */
export const TEST_SIGNING_SECRET = 'test-router-signing-secret-0123456789abcdef';

/** Every test accounts encrypts its signing keys at rest, as production must (a test may override it). */
export const TEST_SIGNING_KEY_ENCRYPTION_KEY = '7e3f0c9a5b1d4e2f8a6c0b9d3e5f7a1c2b4d6e8f0a1c3e5b7d9f1a3c5e7b9d1f';
const DEFAULT_ENV: Partial<Record<SubgraphName, Env>> = { accounts: { SIGNING_KEY_ENCRYPTION_KEY: TEST_SIGNING_KEY_ENCRYPTION_KEY } };

const factories: Record<SubgraphName, (config: SubgraphConfig, env?: Env) => Promise<SubgraphServer>> = {
  accounts: createAccounts,
  catalog: createCatalog,
  bookings: createBookings,
  billing: createBilling,
};

export interface RunningSubgraph {
  readonly name: SubgraphName;
  readonly graphqlUrl: string;
  readonly baseUrl: string;
  readonly server: SubgraphServer;
  readonly database: TestDatabase;
  /** A call as the router makes it: signed, as `viewer` (anonymous when omitted). */
  query<Data = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    viewer?: Viewer | null,
  ): Promise<GraphQLResponse<Data>>;
  /** Closes the server, its event consumers and relay (the database stays until `dispose`). */
  stop(): Promise<void>;
  /** Starts it again on the same port, database and Redis keys, as a restarted process would. */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

/** A real subgraph on a free port over its own fresh database, in this process. */
export interface SubgraphOptions {
  readonly seedDemo?: boolean;
  /** Redis key prefix shared by the subgraphs of one stack (a fresh one when omitted). */
  readonly eventKeyPrefix?: string;
  /** Subgraph-specific settings (e.g. token lifetimes), as the process environment would give them. */
  readonly env?: Env;
  /** Another instance of an already running subgraph: its database (not dropped by this one). */
  readonly sharedDatabase?: TestDatabase;
  /** Runtime settings other than the defaults below (work budget, statement timeout...). */
  readonly config?: Partial<SubgraphConfig>;
}

export async function startSubgraph(name: SubgraphName, options: SubgraphOptions = {}): Promise<RunningSubgraph> {
  const database: TestDatabase = options.sharedDatabase
    ? { url: options.sharedDatabase.url, drop: async () => undefined }
    : await createTestDatabase(name);
  const config: SubgraphConfig = {
    port: 0,
    host: '127.0.0.1',
    metricsPort: null,
    databaseUrl: database.url,
    seedDemo: options.seedDemo ?? false,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    logBufferBytes: DEFAULT_LOG_BUFFER_BYTES,
    profile: 'development',
    debugStacktraces: false,
    routerSigningSecret: TEST_SIGNING_SECRET,
    allowUnsignedRequests: false,
    redisUrl: testRedisUrl(),
    eventTransport: 'redis',
    eventKeyPrefix: options.eventKeyPrefix ?? testKeyPrefix(name),
    maxResolvedFields: 50_000,
    maxConcurrentRequests: 500,
    statementTimeoutMs: 5_000,
    shutdownDrainMs: 0,
    shutdownDeadlineMs: DEFAULT_SHUTDOWN_DEADLINE_MS,
    ...options.config,
  };
  const env: Env = { ...DEFAULT_ENV[name], ...options.env };
  let server = await factories[name](config, env);
  const baseUrl = await server.listen();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.close();
  };
  const running: RunningSubgraph = {
    name,
    baseUrl,
    graphqlUrl: `${baseUrl}/graphql`,
    get server() {
      return server;
    },
    database,
    query: (query, variables, viewer = null) => {
      const body = graphqlRequestBody(query, variables);
      return postGraphQL(`${baseUrl}/graphql`, body, routerCallSigner(TEST_SIGNING_SECRET, viewer).request(name, body));
    },
    stop,
    async restart() {
      await stop();
      server = await factories[name]({ ...config, port: Number(new URL(baseUrl).port) }, env);
      await server.listen();
      stopped = false;
    },
    async dispose() {
      await stop();
      await database.drop();
    },
  };
  return running;
}

export interface Stack {
  readonly routerUrl: string;
  /** Redis key prefix shared by this stack's subgraphs (events and live updates). */
  readonly eventKeyPrefix: string;
  readonly router: Router;
  readonly subgraphs: Readonly<Record<SubgraphName, RunningSubgraph>>;
  /**
   * Another router on this stack's subgraphs and Redis keys (e.g. `ROUTER_EXECUTOR: 'gateway'`
   * beside the default one, or a second instance); `env` adds to or overrides the stack's
   * router settings. It is closed by `stop()`.
   */
  startRouter(env?: Env): Promise<{ readonly router: Router; readonly url: string }>;
  /** A client request to the router, with `Authorization: Bearer <accessToken>` when given. */
  query<Data = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    accessToken?: string,
  ): Promise<GraphQLResponse<Data>>;
  stop(): Promise<void>;
}

/** All four subgraphs and the router, each on a free port, wired like production. */
export interface StackOptions {
  readonly seedDemo?: boolean;
  readonly subgraphTimeoutMs?: number;
  readonly env?: Partial<Record<SubgraphName, Env>>;
  /** Extra router settings, as its environment would give them. */
  readonly routerEnv?: Env;
  /** Runtime settings of some subgraphs other than the test defaults. */
  readonly config?: Partial<Record<SubgraphName, Partial<SubgraphConfig>>>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const eventKeyPrefix = testKeyPrefix('stack');
  const started = await Promise.allSettled(
    SUBGRAPH_NAMES.map((name) => startSubgraph(name, { seedDemo: options.seedDemo, env: options.env?.[name], eventKeyPrefix, config: options.config?.[name] })),
  );
  const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.all(running.map((subgraph) => subgraph.dispose()));
    throw (failure as PromiseRejectedResult).reason;
  }
  const subgraphs = Object.fromEntries(running.map((subgraph) => [subgraph.name, subgraph])) as Record<
    SubgraphName,
    RunningSubgraph
  >;
  const routers: Router[] = [];
  const startRouter = async (env: Env = {}) => {
    const router = await createRouter(
      readRouterConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        ROUTER_SIGNING_SECRET: TEST_SIGNING_SECRET,
        SUBGRAPH_TIMEOUT_MS: String(options.subgraphTimeoutMs ?? 5_000),
        // Revoked sessions (logout) reach the router through the stack's Redis keys.
        REDIS_URL: testRedisUrl(),
        EVENT_KEY_PREFIX: eventKeyPrefix,
        JWKS_URL: `${subgraphs.accounts.baseUrl}/.well-known/jwks.json`,
        ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, subgraphs[name].graphqlUrl])),
        ...options.routerEnv,
        ...env,
      }),
    );
    routers.push(router);
    try {
      return { router, url: `${await router.listen()}/graphql` };
    } catch (error) {
      routers.splice(routers.indexOf(router), 1);
      await router.close();
      throw error;
    }
  };
  let first: Awaited<ReturnType<typeof startRouter>>;
  try {
    first = await startRouter();
  } catch (error) {
    // The caller gets no stack to stop: stop what was started for it.
    await Promise.all(running.map((subgraph) => subgraph.dispose()));
    throw error;
  }
  const { router, url: routerUrl } = first;
  return {
    routerUrl,
    eventKeyPrefix,
    router,
    subgraphs,
    query: (query, variables, accessToken) =>
      graphqlRequest(routerUrl, query, variables, accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
    startRouter,
    async stop() {
      await Promise.all(routers.map((started) => started.close()));
      await Promise.all(running.map((subgraph) => subgraph.dispose()));
    },
  };
}

/** The active signing key of a test accounts (opened with the test encryption key), to mint tokens by hand. */
export async function activeSigningKey(accounts: RunningSubgraph): Promise<{ kid: string; privateJwk: JWK }> {
  const [row] = await accounts.server.database.em
    .fork()
    .execute<{ kid: string; private_key: string }[]>('select kid, private_key from signing_keys where retired_at is null order by created_at desc limit 1');
  if (!row) throw new Error('accounts has no active signing key');
  const vault = new PrivateKeyVault(parseEncryptionKey(TEST_SIGNING_KEY_ENCRYPTION_KEY));
  return { kid: row.kid, privateJwk: vault.open(row.kid, row.private_key) };
}
