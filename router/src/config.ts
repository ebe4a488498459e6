import type { EntityBatching } from './execution/entityFetchBatch';
import { resolve } from 'node:path';
import {
  ConfigError,
  DEFAULT_LOG_BUFFER_BYTES,
  parse,
  readConfig,
  shutdownConfigSpec,
  SUBGRAPH_NAMES,
  variable,
  type ConfigOf,
  type Env,
  type SubgraphName,
  type VariableSpec,
} from '@booking/runtime/dist/router';
import { DEFAULT_SLOW_CONSUMER_CLOSE_GRACE_MS, DEFAULT_SUBSCRIPTION_KEEPALIVE_MS } from './subscriptions/backpressure';

import { DEFAULT_CORS_ORIGINS, parseOriginPatterns } from './pipeline/cors';
import type { SubgraphErrorsMode } from './pipeline/subgraphErrorPolicy';
import type { LandingPageMode } from './pipeline/landingPage';
import type { QueryPlannerName } from './planning/queryPlanning';

const DEFAULT_SUPERGRAPH = resolve(__dirname, '..', '..', 'schema', 'supergraph.graphql');

/** `<SUBGRAPH>_URL` overrides the routing URL composed into the supergraph for that subgraph. */
export function subgraphUrlVariable(name: SubgraphName): string {
  return `${name.toUpperCase()}_URL`;
}

const subgraphUrlSpecs = Object.fromEntries(
  SUBGRAPH_NAMES.map((name) => [
    name,
    variable<string | null>(
      subgraphUrlVariable(name),
      `GraphQL URL of the ${name} subgraph (default: routing_url in the supergraph)`,
      parse.httpUrl,
      () => null,
    ),
  ]),
) as Record<SubgraphName, VariableSpec<string | null>>;

/** A limit: a positive whole number, or `off` (no limit). */
function limit(raw: string): number {
  if (/^off$/i.test(raw)) return Infinity;
  return parse.positiveInt(raw);
}

function oneOf<T extends string>(...values: readonly T[]) {
  return (raw: string): T => {
    const found = values.find((value) => value === raw);
    if (found === undefined) throw new Error(`must be one of ${values.join(', ')}, got "${raw}"`);
    return found;
  };
}

/**
 * Router settings with every operation limit and the cost limit off: for measuring what the
 * limits cost (bench) and for tests of the defences behind them (the subgraphs' work budget,
 * the authorizer's linearity), which must hold even where a deployment switches them off.
 */
export const OPERATION_LIMITS_OFF: Readonly<Record<string, string>> = {
  MAX_OPERATION_DEPTH: 'off',
  MAX_OPERATION_ALIASES: 'off',
  MAX_ROOT_FIELDS: 'off',
  MAX_OPERATION_HEIGHT: 'off',
  MAX_DIRECTIVES_PER_FIELD: 'off',
  MAX_OPERATION_COST: 'off',
};

export const routerConfigSpec = {
  port: variable('PORT', 'TCP port of the router', parse.port, () => 4000),
  host: variable('HOST', 'interface to listen on', parse.text, () => '127.0.0.1'),
  supergraphPath: variable('SUPERGRAPH_PATH', 'composed supergraph SDL file', parse.text, () => DEFAULT_SUPERGRAPH),
  subgraphTimeoutMs: variable(
    'SUBGRAPH_TIMEOUT_MS',
    'longest wait for one subgraph request before it counts as failed',
    parse.positiveInt,
    () => 10_000,
  ),
  requestTimeoutMs: variable(
    'ROUTER_REQUEST_TIMEOUT_MS',
    'longest a client request may take; later subgraph calls are not sent and answer REQUEST_TIMEOUT',
    parse.positiveInt,
    () => 30_000,
  ),
  // Subgraph failures (README "Failure behaviour"): a circuit breaker per subgraph, retries of queries' calls.
  breaker: variable('SUBGRAPH_BREAKER', "a circuit breaker per subgraph: after too many failed calls, that subgraph's calls fail fast with SUBGRAPH_UNAVAILABLE until a probe call succeeds", parse.boolean, () => true),
  breakerWindowMs: variable('SUBGRAPH_BREAKER_WINDOW_MS', "the rolling window a subgraph's failure rate is computed over", parse.positiveInt, () => 10_000),
  breakerMinimumCalls: variable('SUBGRAPH_BREAKER_MIN_CALLS', 'fewest calls in the window before a circuit may open (fewer never open it)', parse.positiveInt, () => 20),
  breakerFailurePercent: variable(
    'SUBGRAPH_BREAKER_FAILURE_PERCENT',
    'share of failed calls (timeouts, connection errors, HTTP 5xx) in the window that opens the circuit, 1 to 100',
    (raw) => {
      const value = parse.positiveInt(raw);
      if (value > 100) throw new Error('must be a percentage from 1 to 100');
      return value;
    },
    () => 50,
  ),
  breakerOpenMs: variable('SUBGRAPH_BREAKER_OPEN_MS', 'how long an open circuit fails fast before one probe call is let through', parse.positiveInt, () => 5_000),
  retries: variable(
    'SUBGRAPH_RETRIES',
    "retries of a query's subgraph call after a refused or reset connection or HTTP 502/503/504, within the request's deadline (mutations and subscriptions never; 0: none)",
    (raw) => {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 0 || value > 10) throw new Error('must be a whole number from 0 to 10');
      return value;
    },
    () => 2,
  ),
  retryBaseDelayMs: variable('SUBGRAPH_RETRY_BASE_DELAY_MS', 'the first retry waits a random time up to this, each next up to twice as long (at most 2 s)', parse.positiveInt, () => 50),
  subgraphBatching: variable<EntityBatching>(
    'SUBGRAPH_BATCHING',
    'a request\'s entity fetches to one subgraph that are ready together go as one operation: "plan" (fetches started in the same step of the plan), "tick" (also those ready in the same turn of the event loop) or "off" (one call per fetch)',
    oneOf('plan', 'tick', 'off'),
    () => 'tick',
  ),
  routerSigningSecret: variable(
    'ROUTER_SIGNING_SECRET',
    'shared secret for signing the identity forwarded to subgraphs (at least 32 characters)',
    parse.secret,
  ),
  jwksUrl: variable<string | null>(
    'JWKS_URL',
    "accounts' JSON Web Key Set (default: /.well-known/jwks.json beside the accounts subgraph URL)",
    parse.httpUrl,
    () => null,
  ),
  jwksRefreshCooldownMs: variable(
    'JWKS_REFRESH_COOLDOWN_MS',
    'least time between JWKS fetches (an unknown key id triggers one)',
    (raw) => {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 0) throw new Error('must be a whole number of milliseconds');
      return value;
    },
    () => 30_000,
  ),
  jwtIssuer: variable('JWT_ISSUER', 'expected `iss` of access tokens', parse.text, () => 'booking-supergraph/accounts'),
  jwtAudience: variable('JWT_AUDIENCE', 'expected `aud` of access tokens', parse.text, () => 'booking-supergraph'),
  watchSupergraph: variable(
    'SUPERGRAPH_WATCH',
    'reload the supergraph file when it changes (open subscriptions end with SCHEMA_RELOADED)',
    parse.boolean,
    () => true,
  ),
  executor: variable<'router' | 'gateway'>(
    'ROUTER_EXECUTOR',
    '"router" runs queries and mutations on the router\'s own plan executor (what it cannot run goes to @apollo/gateway); "gateway" sends everything through @apollo/gateway',
    (raw) => {
      if (raw !== 'router' && raw !== 'gateway') throw new Error('must be router or gateway');
      return raw;
    },
    () => 'router',
  ),
  queryPlanner: variable<QueryPlannerName>(
    'QUERY_PLANNER',
    '"apollo" plans with @apollo/query-planner; "hive" plans queries and mutations with Hive Router\'s planner (@graphql-hive/router-query-planner) for the router\'s own executor, Apollo\'s planning what Hive\'s plan cannot be run for',
    oneOf('apollo', 'hive'),
    () => 'apollo',
  ),
  // Subscription caps (issue 9 item 8): over one, that subscription or connection is refused.
  maxSubscriptions: variable('MAX_SUBSCRIPTIONS', 'most open subscriptions per router process', parse.positiveInt, () => 10_000),
  maxAnonymousSubscriptions: variable(
    'MAX_ANONYMOUS_SUBSCRIPTIONS',
    'most of those held by anonymous clients together (the rest stays for signed-in users)',
    parse.positiveInt,
    () => 5_000,
  ),
  maxSubscriptionsPerUser: variable('MAX_SUBSCRIPTIONS_PER_USER', 'most subscriptions one signed-in user may hold', parse.positiveInt, () => 100),
  maxSubscriptionsPerAddress: variable(
    'MAX_SUBSCRIPTIONS_PER_ADDRESS',
    'most subscriptions anonymous clients may hold from one client address (the socket peer; an IPv6 /64)',
    parse.positiveInt,
    () => 100,
  ),
  maxSubscriptionsPerConnection: variable(
    'MAX_SUBSCRIPTIONS_PER_CONNECTION',
    'most subscriptions one WebSocket may hold',
    parse.positiveInt,
    () => 100,
  ),
  maxSubscriptionConnections: variable('MAX_SUBSCRIPTION_CONNECTIONS', 'most open subscription WebSockets per router process', parse.positiveInt, () => 10_000),
  maxSubscriptionConnectionsPerAddress: variable(
    'MAX_SUBSCRIPTION_CONNECTIONS_PER_ADDRESS',
    'most open subscription WebSockets from one client address',
    parse.positiveInt,
    () => 100,
  ),
  maxSubscriberBacklogBytes: variable(
    'MAX_SUBSCRIBER_BACKLOG_BYTES',
    'unsent bytes an HTTP subscription client may let pile up before it is cut off',
    parse.positiveInt,
    () => 4 * 1024 * 1024,
  ),
  subscriptionKeepAliveMs: variable(
    'SUBSCRIPTION_KEEPALIVE_MS',
    'how often the router pings a subscription WebSocket; one that has not answered a ping by the next is dropped',
    parse.positiveInt,
    () => DEFAULT_SUBSCRIPTION_KEEPALIVE_MS,
  ),
  subscriptionResubscribeGraceMs: variable(
    'SUBSCRIPTION_RESUBSCRIBE_GRACE_MS',
    'how long the router resubscribes (jittered exponential backoff) to a subgraph whose subscription socket dropped, e.g. a restart, before its clients get SUBGRAPH_UNAVAILABLE (0: at once)',
    (raw) => {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 0) throw new Error(`must be a whole number of milliseconds (0 or more), got "${raw}"`);
      return value;
    },
    () => 30_000,
  ),
  slowConsumerCloseGraceMs: variable(
    'SLOW_CONSUMER_CLOSE_GRACE_MS',
    'how long a subscription client cut off as too slow has to read up to the reason before its connection is destroyed',
    parse.positiveInt,
    () => DEFAULT_SLOW_CONSUMER_CLOSE_GRACE_MS,
  ),
  operationCacheMaxBytes: variable(
    'OPERATION_CACHE_MAX_BYTES',
    'estimated heap the operation caches may keep (half for prepared operations, the rest for the gateway path)',
    parse.positiveInt,
    () => 64 * 1024 * 1024,
  ),
  // Protection (the request pipeline's stages; README "Protecting the router").
  metrics: variable('METRICS', 'record Prometheus metrics and serve them at /metrics (false: neither, for measuring what they cost)', parse.boolean, () => true),
  maxConcurrentRequests: variable(
    'MAX_CONCURRENT_REQUESTS',
    'most /graphql requests in flight at once in this router; past it HTTP 503 SERVICE_OVERLOADED with Retry-After (0: no cap; subscription streams do not count)',
    parse.nonNegativeInt,
    () => 1000,
  ),
  metricsPort: variable<number | null>('METRICS_PORT', 'serve /metrics on this port of its own instead of PORT, so the public port does not (e.g. 9464)', parse.port, () => null),
  profile: variable<'production' | 'development'>(
    'NODE_ENV',
    '"production" turns on the production posture: introspection and query plans off, subgraph errors masked, stack traces refused, rate limits on (with REDIS_URL)',
    (raw) => (raw === 'production' ? 'production' : 'development'),
    () => 'development',
  ),
  exposeQueryPlan: variable<boolean | null>(
    'EXPOSE_QUERY_PLAN',
    'answer the Apollo-Expose-Query-Plan request header (true: the plan in extensions.apolloQueryPlan; dry-run: the plan alone, nothing executed) as Sandbox asks for it; when off the header is ignored (default: on, off when NODE_ENV=production)',
    parse.boolean,
    () => null,
  ),
  landingPage: variable<LandingPageMode | null>(
    'LANDING_PAGE',
    'what a browser opening /graphql gets: "graphiql" (GraphiQL served from the router\'s own files, works offline), "sandbox" (Apollo Sandbox, loaded from Apollo\'s CDN) or "off" (404 NOT_FOUND) (default: graphiql, off when NODE_ENV=production)',
    oneOf('sandbox', 'graphiql', 'off'),
    () => null,
  ),
  introspection: variable<boolean | null>('INTROSPECTION', 'allow schema introspection (default: on, off when NODE_ENV=production)', parse.boolean, () => null),
  subgraphErrors: variable<SubgraphErrorsMode | null>(
    'SUBGRAPH_ERRORS',
    '"mask": a subgraph error without a client-facing code reaches clients as INTERNAL_SERVER_ERROR (the original is logged); "pass": as the subgraph sent it (default: mask when NODE_ENV=production, else pass)',
    oneOf('mask', 'pass'),
    () => null,
  ),
  maxOperationTokens: variable('MAX_OPERATION_TOKENS', 'most lexical tokens in an operation text, counted before parsing (or off)', limit, () => 15_000),
  maxOperationNesting: variable('MAX_OPERATION_NESTING', 'deepest bracket nesting in an operation text, checked before parsing (or off)', limit, () => 500),
  maxOperationDepth: variable('MAX_OPERATION_DEPTH', 'deepest field nesting of an operation, fragments included (or off)', limit, () => 20),
  maxOperationAliases: variable('MAX_OPERATION_ALIASES', 'most aliased fields in an operation, each use of a fragment counted (or off)', limit, () => 30),
  maxRootFields: variable('MAX_ROOT_FIELDS', 'most root fields in an operation (or off)', limit, () => 20),
  maxOperationHeight: variable('MAX_OPERATION_HEIGHT', 'most distinct fields (Type.field) in an operation (or off)', limit, () => 200),
  maxDirectivesPerField: variable('MAX_DIRECTIVES_PER_FIELD', 'most directives on one field (or off)', limit, () => 10),
  maxOperationCost: variable('MAX_OPERATION_COST', 'highest estimated cost (@cost/@listSize) an operation may have (or off)', limit, () => 10_000),
  defaultListSize: variable('DEMAND_CONTROL_LIST_SIZE', 'size assumed for a list field without @listSize when estimating cost', parse.positiveInt, () => 10),
  rateLimit: variable<boolean | null>('RATE_LIMIT', 'rate limiting in Redis (needs REDIS_URL; default: on when NODE_ENV=production and REDIS_URL is set)', parse.boolean, () => null),
  rateLimitWindowSeconds: variable('RATE_LIMIT_WINDOW_SECONDS', 'length of a rate-limit window', parse.positiveInt, () => 60),
  rateLimitQueryPoints: variable('RATE_LIMIT_QUERY_POINTS', 'cost units of queries one caller may spend per window', parse.positiveInt, () => 50_000),
  rateLimitMutationPoints: variable('RATE_LIMIT_MUTATION_POINTS', 'cost units of mutations one caller may spend per window', parse.positiveInt, () => 2_000),
  rateLimitSubscriptionPoints: variable('RATE_LIMIT_SUBSCRIPTION_POINTS', 'cost units of new subscriptions one caller may start per window', parse.positiveInt, () => 1_000),
  rateLimitWhenRedisFails: variable('RATE_LIMIT_WHEN_REDIS_FAILS', '"open" lets requests through when Redis does not answer (logged), "closed" refuses them (503)', oneOf('open', 'closed'), () => 'open' as const),
  rateLimitRedisTimeoutMs: variable('RATE_LIMIT_REDIS_TIMEOUT_MS', 'longest wait for Redis before RATE_LIMIT_WHEN_REDIS_FAILS applies', parse.positiveInt, () => 250),
  rateLimitPrefetchPercent: variable(
    'RATE_LIMIT_PREFETCH_PERCENT',
    "share of a caller's budget (0 to 10 %) a router takes from Redis ahead of use, so a busy caller is one Redis round trip per that share, not per request (0: every request counted in Redis)",
    (raw) => {
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 10) throw new Error('must be a percentage from 0 to 10');
      return value;
    },
    () => 1,
  ),
  trustedProxyHops: variable(
    'TRUSTED_PROXY_HOPS',
    'proxies in front of the router whose X-Forwarded-For entries are believed (0: the socket peer is the client)',
    (raw) => {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 0) throw new Error('must be a whole number of proxies');
      return value;
    },
    () => 0,
  ),
  persistedQueries: variable('PERSISTED_QUERIES', 'off | apq | safelist | safelist-log', oneOf('off', 'apq', 'safelist', 'safelist-log'), () => 'apq' as const),
  persistedQueriesManifest: variable<string | null>('PERSISTED_QUERIES_MANIFEST', "the trusted documents (Apollo's persisted query manifest) for safelist modes", parse.text, () => null),
  apqTtlSeconds: variable('APQ_TTL_SECONDS', 'how long Redis keeps an automatic persisted query', parse.positiveInt, () => 86_400),
  corsOrigins: variable('CORS_ORIGINS', 'origins browsers may call from, comma-separated: exact origins, http://host:* for any port, or *', parseOriginPatterns, () => parseOriginPatterns(DEFAULT_CORS_ORIGINS)),
  corsAllowCredentials: variable('CORS_ALLOW_CREDENTIALS', 'let browsers send cookies and HTTP auth cross-origin', parse.boolean, () => false),
  corsMaxAgeSeconds: variable('CORS_MAX_AGE_SECONDS', 'how long browsers may reuse a preflight answer', parse.positiveInt, () => 600),
  logLevel: variable('LOG_LEVEL', 'pino log level', parse.logLevel, () => 'info'),
  logBufferBytes: variable(
    'LOG_BUFFER_BYTES',
    'the most log text held while stdout is not read; past it lines are dropped, counted (log_lines_dropped_total) and reported once stdout is read again',
    parse.positiveInt,
    () => DEFAULT_LOG_BUFFER_BYTES,
  ),
  ...shutdownConfigSpec(),
  redisUrl: variable<string | null>(
    'REDIS_URL',
    'Redis where accounts records revoked sessions (logout): their access tokens are refused at once; without it they work until they expire',
    parse.redisUrl,
    () => null,
  ),
  entityCache: variable(
    'ENTITY_CACHE',
    'cache entity fetches in Redis by the subgraphs\' @cacheControl hints, evicted by their invalidation events (needs REDIS_URL; default off)',
    parse.boolean,
    () => false,
  ),
  entityCacheRedisUrl: variable<string | null>(
    'ENTITY_CACHE_REDIS_URL',
    'Redis holding the entity cache\'s entries, when not REDIS_URL (a cache may evict under memory pressure; the event streams must not); invalidations still arrive on REDIS_URL',
    parse.redisUrl,
    () => null,
  ),
  entityCacheRedisTimeoutMs: variable('ENTITY_CACHE_REDIS_TIMEOUT_MS', 'longest wait for Redis on an entity cache lookup before the fetch goes to its subgraph', parse.positiveInt, () => 100),
  eventKeyPrefix: variable('EVENT_KEY_PREFIX', "prefix of the deployment's Redis keys (the subgraphs' value)", parse.text, () => ''),
  debugStacktraces: variable(
    'GRAPHQL_DEBUG_STACKTRACES',
    "put the router's stack traces (with file paths) in GraphQL error responses (local debugging only)",
    parse.boolean,
    () => false,
  ),
};

export type RouterConfig = ConfigOf<typeof routerConfigSpec> & {
  readonly subgraphUrls: Readonly<Record<SubgraphName, string | null>>;
};

export function readRouterConfig(env: Env = process.env): RouterConfig {
  const config = { ...readConfig(routerConfigSpec, env), subgraphUrls: readConfig(subgraphUrlSpecs, env) };
  // The production profile promises no stack traces anywhere: a stray debug switch stops the start.
  if (config.profile === 'production' && config.debugStacktraces) {
    throw new ConfigError(['GRAPHQL_DEBUG_STACKTRACES=true is refused when NODE_ENV=production (stack traces name files and paths)']);
  }
  return config;
}

export function routerVariableNames(): string[] {
  return [...Object.values(routerConfigSpec), ...Object.values(subgraphUrlSpecs)].map((spec) => spec.name);
}
