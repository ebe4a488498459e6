import { resolve } from 'node:path';
import {
  parse,
  readConfig,
  SUBGRAPH_NAMES,
  variable,
  type ConfigOf,
  type Env,
  type SubgraphName,
  type VariableSpec,
} from '@booking/runtime';

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
  operationCacheMaxBytes: variable(
    'OPERATION_CACHE_MAX_BYTES',
    'estimated heap the operation caches may keep (half for prepared operations, the rest for the gateway path)',
    parse.positiveInt,
    () => 64 * 1024 * 1024,
  ),
  logLevel: variable('LOG_LEVEL', 'pino log level', parse.logLevel, () => 'info'),
  shutdownDrainMs: variable(
    'SHUTDOWN_DRAIN_MS',
    'on SIGTERM, how long the router keeps serving with /ready answering 503 before it stops accepting (time for a load balancer to take it out of rotation)',
    (raw) => {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 0) throw new Error('must be a whole number of milliseconds');
      return value;
    },
    () => 0,
  ),
  redisUrl: variable<string | null>(
    'REDIS_URL',
    'Redis where accounts records revoked sessions (logout): their access tokens are refused at once; without it they work until they expire',
    parse.redisUrl,
    () => null,
  ),
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
  return { ...readConfig(routerConfigSpec, env), subgraphUrls: readConfig(subgraphUrlSpecs, env) };
}

export function routerVariableNames(): string[] {
  return [...Object.values(routerConfigSpec), ...Object.values(subgraphUrlSpecs)].map((spec) => spec.name);
}
