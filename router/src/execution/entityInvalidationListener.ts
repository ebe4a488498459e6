import type { Redis } from 'ioredis';
import { ENTITY_INVALIDATION_CHANNEL, entityIdentity, parseInvalidationMessage, type Logger } from '@booking/runtime/dist/router';
import type { EntityCacheStore } from './entityCacheStore';

/**
 * Every router instance listens on the invalidation channel and evicts the entities a message
 * names from the shared store. One instance's eviction would do (the store is shared); all of
 * them evicting means an instance whose subscription is reconnecting misses nothing. Evictions
 * are idempotent: each one only counts the entity's epoch up and drops what is there.
 */
export class EntityInvalidationListener {
  private constructor(
    private readonly subscriber: Redis,
    private readonly channel: string,
  ) {}

  /**
   * `subscriber` must be a connection of its own: a subscribed connection serves nothing else.
   * `onEvicted` is told each evicted identity and its type (metrics, tests).
   */
  static async start(
    subscriber: Redis,
    store: EntityCacheStore,
    keyPrefix: string,
    logger: Logger,
    onEvicted: (identity: string, typename: string) => void = () => undefined,
  ): Promise<EntityInvalidationListener> {
    const channel = `${keyPrefix}${ENTITY_INVALIDATION_CHANNEL}`;
    subscriber.on('message', (from: string, text: string) => {
      if (from !== channel) return;
      const { references, malformed } = parseInvalidationMessage(text);
      if (malformed > 0) logger.warn({ channel, malformed }, 'entity invalidation message with malformed entries (they evict nothing)');
      for (const reference of references) {
        const identity = entityIdentity(reference);
        void store.evict(identity).then(() => onEvicted(identity, reference.typename));
      }
    });
    await subscriber.subscribe(channel);
    return new EntityInvalidationListener(subscriber, channel);
  }

  async close(): Promise<void> {
    await this.subscriber.unsubscribe(this.channel).catch(() => undefined);
    this.subscriber.disconnect();
  }
}
