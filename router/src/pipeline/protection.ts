import { closeRedis, type Logger } from '@booking/runtime/dist/router';
import { Redis } from 'ioredis';
import type { RouterConfig } from '../config';
import type { SupergraphState } from '../liveSupergraph';
import { OperationGate } from './operationGate';
import { OperationPipeline } from './operationPipeline';
import { AutomaticPersistedQueries, PersistedQueries } from './persistedQueries';
import { RateLimits } from './rateLimit';
import { TrustedDocuments } from './trustedDocuments';
import type { RouterMetrics } from '../observability/routerMetrics';

export interface Protection {
  readonly pipeline: OperationPipeline;
  readonly rateLimited: boolean;
  /** The trusted documents' operation names (empty without a manifest). */
  readonly trustedOperationNames: ReadonlySet<string>;
  close(): Promise<void>;
}

/** How long startup waits for Redis before the rate limiter starts on its failure policy. */
const REDIS_STARTUP_WAIT_MS = 5_000;

/**
 * The protection stages as configured (README "Protecting the router"): one gate per
 * supergraph (its verdicts hold for that schema only), persisted queries and rate limits in
 * the deployment's Redis when there is one.
 */
export async function createProtection(config: RouterConfig, current: () => SupergraphState, logger: Logger, metrics?: RouterMetrics): Promise<Protection> {
  const verdictLookups = metrics?.cacheLookups('gate_verdict');
  // On in the production profile wherever the deployment has a Redis (one round trip per 1 % of
  // a busy caller's budget, not per request: README "Rate limits"); elsewhere when asked for.
  const rateLimited = config.rateLimit ?? (config.profile === 'production' && config.redisUrl !== null);
  if (rateLimited && !config.redisUrl) throw new Error('RATE_LIMIT needs REDIS_URL: the routers share their counts in Redis (or set RATE_LIMIT=false)');
  // Commands fail at once while Redis is unreachable (no offline queue): the stages answer
  // by their policies instead of holding requests. (Auto-pipelining was measured: no CPU saved
  // at 32 concurrent requests, 2.5× the CPU per command one at a time.)
  const redis = config.redisUrl ? new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true }) : null;
  if (redis) {
    redis.on('error', () => undefined); // reported by the stages that use it, rate-limited
    await Promise.race([redis.connect().catch(() => undefined), new Promise((wait) => setTimeout(wait, REDIS_STARTUP_WAIT_MS).unref())]);
  }
  const trusted = config.persistedQueriesManifest ? TrustedDocuments.read(config.persistedQueriesManifest) : null;
  if (trusted) logger.info({ operations: trusted.size, mode: config.persistedQueries }, 'trusted documents loaded');
  const apq =
    config.persistedQueries === 'apq'
      ? new AutomaticPersistedQueries(redis, config.eventKeyPrefix, config.apqTtlSeconds, Math.floor(config.operationCacheMaxBytes / 8), logger)
      : null;
  const persistedQueries = new PersistedQueries(config.persistedQueries, apq, trusted);
  const rateLimits = rateLimited && redis
    ? new RateLimits(
        redis,
        {
          windowSeconds: config.rateLimitWindowSeconds,
          points: { query: config.rateLimitQueryPoints, mutation: config.rateLimitMutationPoints, subscription: config.rateLimitSubscriptionPoints },
          whenRedisFails: config.rateLimitWhenRedisFails,
          redisTimeoutMs: config.rateLimitRedisTimeoutMs,
          keyPrefix: config.eventKeyPrefix,
          prefetchFraction: config.rateLimitPrefetchPercent / 100,
        },
        logger,
      )
    : null;
  let gate: { state: SupergraphState; gate: OperationGate } | undefined;
  const gateFor = () => {
    const state = current();
    if (gate?.state !== state) {
      gate = {
        state,
        gate: new OperationGate(
          { apiSchema: state.planner.apiGraphQLSchema, costs: state.costs, cacheHints: state.cacheHints },
          {
            lexical: { maxTokens: config.maxOperationTokens, maxNesting: config.maxOperationNesting },
            operation: {
              maxDepth: config.maxOperationDepth,
              maxAliases: config.maxOperationAliases,
              maxRootFields: config.maxRootFields,
              maxHeight: config.maxOperationHeight,
              maxDirectivesPerField: config.maxDirectivesPerField,
            },
            cost: { defaultListSize: config.defaultListSize, maxCost: config.maxOperationCost },
          },
          trusted,
          Math.floor(config.operationCacheMaxBytes / 8),
          verdictLookups,
        ),
      };
    }
    return gate.gate;
  };
  return {
    pipeline: new OperationPipeline({ gate: gateFor, persistedQueries, rateLimits, maxCost: config.maxOperationCost, logger }),
    rateLimited: rateLimits !== null,
    trustedOperationNames: trusted?.operationNames ?? new Set(),
    close: async () => {
      if (redis) await closeRedis(redis);
    },
  };
}
