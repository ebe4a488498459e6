import { shutdownConfigSpec } from '../shutdown/shutdownConfig';
import { DEFAULT_LOG_BUFFER_BYTES } from '../logOutput';
import { ConfigError, parse, readConfig, variable, type ConfigOf, type Env } from './env';

/** Default ports; `supergraph.yaml` routing URLs and docker-compose use the same numbers. */
export const SUBGRAPH_PORTS = { accounts: 4001, catalog: 4002, bookings: 4003, billing: 4004 } as const;
export type SubgraphName = keyof typeof SUBGRAPH_PORTS;
export const SUBGRAPH_NAMES = Object.keys(SUBGRAPH_PORTS) as SubgraphName[];

export function subgraphConfigSpec(name: SubgraphName) {
  const prefix = name.toUpperCase();
  return {
    port: variable('PORT', 'TCP port for /graphql, /health and /ready', parse.port, () => SUBGRAPH_PORTS[name]),
    host: variable('HOST', 'interface to listen on', parse.text, () => '127.0.0.1'),
    metricsPort: variable<number | null>('METRICS_PORT', 'serve /metrics on this port of its own instead of PORT (e.g. 9464)', parse.port, () => null),
    databaseUrl: variable(
      `${prefix}_DATABASE_URL`,
      `PostgreSQL URL of the ${name} database (this subgraph's own)`,
      parse.postgresUrl,
    ),
    seedDemo: variable('SEED_DEMO', 'insert idempotent demo data at start', parse.boolean, () => false),
    routerSigningSecret: variable<string | null>(
      'ROUTER_SIGNING_SECRET',
      'shared secret the router signs forwarded identity with (at least 32 characters)',
      parse.secret,
      () => null,
    ),
    allowUnsignedRequests: variable(
      'ALLOW_UNSIGNED_REQUESTS',
      'accept /graphql calls without the router signature (local debugging only)',
      parse.boolean,
      () => false,
    ),
    logLevel: variable('LOG_LEVEL', 'pino log level', parse.logLevel, () => 'info'),
    logBufferBytes: variable(
      'LOG_BUFFER_BYTES',
      'the most log text held while stdout is not read; past it lines are dropped, counted (log_lines_dropped_total) and reported once stdout is read again',
      parse.positiveInt,
      () => DEFAULT_LOG_BUFFER_BYTES,
    ),
    profile: variable<'production' | 'development'>(
      'NODE_ENV',
      '"production" turns on the production posture (no stack traces: GRAPHQL_DEBUG_STACKTRACES=true is refused)',
      (raw) => (raw === 'production' ? 'production' : 'development'),
      () => 'development',
    ),
    debugStacktraces: variable(
      'GRAPHQL_DEBUG_STACKTRACES',
      'put stack traces (with file paths) in GraphQL error responses (local debugging only)',
      parse.boolean,
      () => false,
    ),
    redisUrl: variable<string | null>(
      'REDIS_URL',
      'Redis for event streams, live updates and revoked sessions (required unless EVENT_TRANSPORT=memory)',
      parse.redisUrl,
      () => null,
    ),
    eventTransport: variable<EventTransportKind>(
      'EVENT_TRANSPORT',
      '"redis" (REDIS_URL), or "memory" for every service in one process (npm start without Redis, tests)',
      parseEventTransport,
      () => 'redis',
    ),
    maxResolvedFields: variable(
      'SUBGRAPH_MAX_RESOLVED_FIELDS',
      'most fields one request may resolve on this subgraph (beyond: SUBGRAPH_WORK_LIMIT)',
      parse.positiveInt,
      () => 50_000,
    ),
    maxConcurrentRequests: variable(
      'MAX_CONCURRENT_REQUESTS',
      'most /graphql requests in flight at once in this subgraph instance; past it HTTP 503 SERVICE_OVERLOADED with Retry-After, which the router retries (queries) and counts against the circuit breaker (0: no cap)',
      parse.nonNegativeInt,
      () => 500,
    ),
    statementTimeoutMs: variable(
      'DATABASE_STATEMENT_TIMEOUT_MS',
      'PostgreSQL statement_timeout of request connections (beyond: STATEMENT_TIMEOUT)',
      parse.positiveInt,
      () => 5_000,
    ),
    eventKeyPrefix: variable('EVENT_KEY_PREFIX', 'prefix of every Redis key this deployment uses', parse.text, () => ''),
    ...shutdownConfigSpec(),
  };
}

export type SubgraphConfig = ConfigOf<ReturnType<typeof subgraphConfigSpec>>;

/**
 * Where events travel. `redis` is the only one that reaches other processes; `memory` exists
 * for a stack run in one process, and must be asked for by name: a subgraph that silently ran
 * without its transport would commit events that nobody ever receives while reporting ready.
 */
export type EventTransportKind = 'redis' | 'memory';

function parseEventTransport(raw: string): EventTransportKind {
  if (raw !== 'redis' && raw !== 'memory') throw new Error(`must be redis or memory, got "${raw}"`);
  return raw;
}

/** Cross-variable rules of the event transport; [] when the pair is consistent. */
export function eventTransportProblems(config: Pick<SubgraphConfig, 'eventTransport' | 'redisUrl'>): string[] {
  if (config.eventTransport === 'redis' && !config.redisUrl) {
    return [
      'REDIS_URL is required: events (outbox relay, consumers), live updates and revoked sessions travel through Redis ' +
        '(EVENT_TRANSPORT=memory runs without it, for every service in one process only)',
    ];
  }
  if (config.eventTransport === 'memory' && config.redisUrl) {
    return ['EVENT_TRANSPORT=memory and REDIS_URL exclude each other: unset one (memory keeps events in this process only)'];
  }
  return [];
}

export function readSubgraphConfig(name: SubgraphName, env: Env = process.env): SubgraphConfig {
  const config = readConfig(subgraphConfigSpec(name), env);
  const problems = eventTransportProblems(config);
  if (!config.routerSigningSecret && !config.allowUnsignedRequests) {
    problems.push('ROUTER_SIGNING_SECRET is required (or ALLOW_UNSIGNED_REQUESTS=true for local debugging only)');
  }
  // The production profile promises no stack traces anywhere: a stray debug switch stops the start.
  if (config.profile === 'production' && config.debugStacktraces) {
    problems.push('GRAPHQL_DEBUG_STACKTRACES=true is refused when NODE_ENV=production (stack traces name files and paths)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
