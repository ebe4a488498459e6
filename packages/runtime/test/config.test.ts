import { ConfigError, readSubgraphConfig, subgraphConfigSpec, variableNames } from '@booking/runtime';
import { readRouterConfig } from '@booking/router';

const SECRET = 'a-test-secret-that-is-long-enough-0123';
const REDIS = 'redis://redis:6379';

describe('configuration fails fast, naming the variable', () => {
  it('reads a subgraph config with defaults', () => {
    const env = { BOOKINGS_DATABASE_URL: 'postgres://u@h:5432/bookings', ROUTER_SIGNING_SECRET: SECRET, REDIS_URL: REDIS };
    expect(readSubgraphConfig('bookings', env)).toEqual({
      port: 4003,
      host: '127.0.0.1',
      metricsPort: null,
      databaseUrl: 'postgres://u@h:5432/bookings',
      seedDemo: false,
      logLevel: 'info',
      logBufferBytes: 8 * 1024 * 1024,
      profile: 'development',
      debugStacktraces: false,
      maxResolvedFields: 50_000,
      maxConcurrentRequests: 500,
      statementTimeoutMs: 5_000,
      routerSigningSecret: SECRET,
      allowUnsignedRequests: false,
      redisUrl: REDIS,
      eventTransport: 'redis',
      eventKeyPrefix: '',
      shutdownDrainMs: 0,
      shutdownDeadlineMs: 10_000,
    });
  });

  it('insists on the router signing secret unless unsigned calls are explicitly allowed', () => {
    const base = { BOOKINGS_DATABASE_URL: 'postgres://u@h:5432/bookings', REDIS_URL: REDIS };
    expect(() => readSubgraphConfig('bookings', base)).toThrow(/ROUTER_SIGNING_SECRET is required/);
    expect(() => readSubgraphConfig('bookings', { ...base, ROUTER_SIGNING_SECRET: 'short' })).toThrow(
      /ROUTER_SIGNING_SECRET must be at least 32 characters/,
    );
    expect(readSubgraphConfig('bookings', { ...base, ALLOW_UNSIGNED_REQUESTS: 'true' }).allowUnsignedRequests).toBe(true);
  });

  it('insists on REDIS_URL unless EVENT_TRANSPORT=memory asks for the one-process transport', () => {
    const base = { CATALOG_DATABASE_URL: 'postgres://u@h:5432/catalog', ROUTER_SIGNING_SECRET: SECRET };
    expect(() => readSubgraphConfig('catalog', base)).toThrow(/REDIS_URL is required/);
    expect(() => readSubgraphConfig('catalog', { ...base, EVENT_TRANSPORT: 'redis' })).toThrow(/REDIS_URL is required/);
    expect(readSubgraphConfig('catalog', { ...base, EVENT_TRANSPORT: 'memory' })).toMatchObject({ eventTransport: 'memory', redisUrl: null });
    expect(() => readSubgraphConfig('catalog', { ...base, EVENT_TRANSPORT: 'memory', REDIS_URL: REDIS })).toThrow(/exclude each other/);
    expect(() => readSubgraphConfig('catalog', { ...base, EVENT_TRANSPORT: 'auto', REDIS_URL: REDIS })).toThrow(
      /EVENT_TRANSPORT must be redis or memory, got "auto"/,
    );
  });

  it('lists every bad or missing variable at once', () => {
    const read = () => readSubgraphConfig('catalog', { PORT: '70000', SEED_DEMO: 'maybe' });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/PORT must be a TCP port \(0-65535\), got "70000"/);
    expect(read).toThrow(/CATALOG_DATABASE_URL is required/);
    expect(read).toThrow(/SEED_DEMO must be true or false, got "maybe"/);
  });

  it('refuses a database URL that is not PostgreSQL', () => {
    expect(() => readSubgraphConfig('billing', { BILLING_DATABASE_URL: 'mysql://x@y/z' })).toThrow(/BILLING_DATABASE_URL must be a postgres/);
  });

  it('names each subgraph database variable after its subgraph', () => {
    expect(variableNames(subgraphConfigSpec('accounts'))).toContain('ACCOUNTS_DATABASE_URL');
  });

  it('validates router subgraph URL overrides', () => {
    expect(readRouterConfig({ CATALOG_URL: 'http://catalog:4002/graphql', ROUTER_SIGNING_SECRET: SECRET }).subgraphUrls).toEqual({
      accounts: null,
      catalog: 'http://catalog:4002/graphql',
      bookings: null,
      billing: null,
    });
    expect(() => readRouterConfig({ BILLING_URL: 'billing:4004', ROUTER_SIGNING_SECRET: SECRET })).toThrow(
      /BILLING_URL must be an http\(s\) URL/,
    );
  });

  it('the production profile refuses stack traces, on subgraphs and the router', () => {
    const subgraph = { BOOKINGS_DATABASE_URL: 'postgres://u@h:5432/bookings', ROUTER_SIGNING_SECRET: SECRET, REDIS_URL: REDIS };
    expect(readSubgraphConfig('bookings', { ...subgraph, NODE_ENV: 'production' }).profile).toBe('production');
    expect(readSubgraphConfig('bookings', { ...subgraph, GRAPHQL_DEBUG_STACKTRACES: 'true' }).debugStacktraces).toBe(true);
    expect(() => readSubgraphConfig('bookings', { ...subgraph, NODE_ENV: 'production', GRAPHQL_DEBUG_STACKTRACES: 'true' })).toThrow(
      /GRAPHQL_DEBUG_STACKTRACES=true is refused when NODE_ENV=production/,
    );
    expect(() => readRouterConfig({ ROUTER_SIGNING_SECRET: SECRET, NODE_ENV: 'production', GRAPHQL_DEBUG_STACKTRACES: 'true' })).toThrow(
      /GRAPHQL_DEBUG_STACKTRACES=true is refused when NODE_ENV=production/,
    );
  });

  it('SUBGRAPH_ERRORS takes mask or pass; unset, the router decides by profile', () => {
    expect(readRouterConfig({ ROUTER_SIGNING_SECRET: SECRET }).subgraphErrors).toBeNull();
    expect(readRouterConfig({ ROUTER_SIGNING_SECRET: SECRET, SUBGRAPH_ERRORS: 'pass' }).subgraphErrors).toBe('pass');
    expect(() => readRouterConfig({ ROUTER_SIGNING_SECRET: SECRET, SUBGRAPH_ERRORS: 'hide' })).toThrow(/SUBGRAPH_ERRORS must be one of mask, pass/);
  });
});
