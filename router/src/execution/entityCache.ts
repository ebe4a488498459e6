import { Redis } from 'ioredis';
import type { Logger } from '@booking/runtime/dist/router';
import type { SupergraphState } from '../liveSupergraph';
import type { RouterMetrics } from '../observability/routerMetrics';
import { EntityCacheStore } from './entityCacheStore';
import { EntityFetchCache } from './entityFetchCache';
import { EntityInvalidationListener } from './entityInvalidationListener';
import { readEntityKeys } from './entityKeys';
import { RootFieldCache } from './rootFieldCache';

/** The caches the executor uses for one supergraph: entity fetches and root query fields. */
export interface SupergraphCaches {
  readonly entities: EntityFetchCache;
  readonly rootFields: RootFieldCache;
}

export interface EntityCacheSettings {
  /** Where the entries live (ENTITY_CACHE_REDIS_URL, else REDIS_URL). */
  readonly redisUrl: string;
  /** Where the subgraphs publish invalidations (REDIS_URL). */
  readonly eventsRedisUrl: string;
  /** EVENT_KEY_PREFIX: the subgraphs publish invalidations under the same prefix. */
  readonly keyPrefix: string;
  /** ENTITY_CACHE_REDIS_TIMEOUT_MS: longest wait for Redis before a lookup counts as a miss. */
  readonly redisTimeoutMs: number;
}

/**
 * ENTITY_CACHE=on: the store, its invalidation listener, and an EntityFetchCache per supergraph
 * (hints and keys are the supergraph's, so a reload gets new ones). Redis not answering makes
 * every fetch go to its subgraph; nothing queues for it (no offline queue).
 */
export class EntityCache {
  private readonly perSupergraph = new WeakMap<SupergraphState, SupergraphCaches | undefined>();

  private constructor(
    private readonly connection: Redis,
    private readonly store: EntityCacheStore,
    private readonly subscriber: Redis,
    private readonly metrics: RouterMetrics | undefined,
  ) {}

  static start(settings: EntityCacheSettings, logger: Logger, metrics?: RouterMetrics): EntityCache {
    // Nothing waits for Redis, at start either: the router serves without it (from the subgraphs).
    const connection = new Redis(settings.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: settings.redisTimeoutMs });
    // The subscriber keeps its queue: its SUBSCRIBE is sent (again) whenever Redis comes (back).
    const subscriber = new Redis(settings.eventsRedisUrl, { maxRetriesPerRequest: null });
    let lastWarned = 0;
    const onRedisError = (error: unknown) => {
      // At most one line a second: an outage is one story, not one line per request.
      if (Date.now() - lastWarned < 1_000) return;
      lastWarned = Date.now();
      logger.warn({ err: error }, 'entity cache: Redis did not answer; requests are served from the subgraphs');
    };
    connection.on('error', onRedisError);
    subscriber.on('error', onRedisError);
    const store = new EntityCacheStore(connection, { keyPrefix: settings.keyPrefix, epochTtlMs: 3_600_000 }, onRedisError);
    // Not awaited: SUBSCRIBE waits in the subscriber's queue while Redis is away.
    EntityInvalidationListener.start(subscriber, store, settings.keyPrefix, logger, (_identity, typename) => metrics?.entityEvicted(typename)).catch(onRedisError);
    return new EntityCache(connection, store, subscriber, metrics);
  }

  /** Undefined when the supergraph has no `@cacheControl` hints: nothing of it is cacheable. */
  forSupergraph(state: SupergraphState): SupergraphCaches | undefined {
    if (this.perSupergraph.has(state)) return this.perSupergraph.get(state);
    const hints = state.cacheHints;
    const keys = readEntityKeys(state.sdl);
    const schema = state.planner.supergraphSchema;
    const cache = hints.isEmpty
      ? undefined
      : { entities: new EntityFetchCache(this.store, hints, keys, schema, this.metrics), rootFields: new RootFieldCache({ store: this.store, hints, keys, schema, metrics: this.metrics }) };
    this.perSupergraph.set(state, cache);
    return cache;
  }

  close(): void {
    // Disconnecting drops the subscription (and a SUBSCRIBE still queued for a Redis that never came).
    this.subscriber.disconnect();
    this.connection.disconnect();
  }
}
