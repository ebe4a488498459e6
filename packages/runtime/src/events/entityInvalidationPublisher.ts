import { Redis } from 'ioredis';
import type { Logger } from '../logger';
import { closeRedis } from '../redis/closeRedis';
import type { EventEnvelope } from './contracts';
import { entityIdentity, publishEntityInvalidation, type EntityReference } from './entityInvalidation';

/** Which entities one committed event changed (a subgraph's own mapping; the router knows no domain). */
export type EntityInvalidations = (event: EventEnvelope) => readonly EntityReference[];

/** How long one PUBLISH may take: a slow Redis must not hold the relay's next batch. */
const PUBLISH_TIMEOUT_MS = 1_000;

/**
 * Tells the routers' entity caches which entities a batch of committed events changed, as one
 * message per batch. Runs after the outbox relay published the batch (so after the commit):
 * evicting earlier would let a read cache the old value again. Best effort by design: a
 * message lost while Redis is down leaves those entries to expire by their max age, which is
 * why every hint has one; the relay itself never waits on or fails by this.
 */
export class EntityInvalidationPublisher {
  private readonly redis: Redis;
  private failing = false;

  constructor(
    redisUrl: string,
    private readonly keyPrefix: string,
    private readonly invalidations: EntityInvalidations,
    private readonly logger: Logger,
  ) {
    this.redis = new Redis(redisUrl, {
      // Queued while (re)connecting, so the first batch after a start is not lost to the
      // handshake; the command timeout still bounds every publish.
      maxRetriesPerRequest: 1,
      commandTimeout: PUBLISH_TIMEOUT_MS,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
    });
    this.redis.on('error', () => undefined);
  }

  /** The entities the events name, each once, in one message; never throws. */
  async publish(events: readonly EventEnvelope[]): Promise<void> {
    const seen = new Map<string, EntityReference>();
    for (const event of events) {
      for (const reference of this.invalidations(event)) seen.set(entityIdentity(reference), reference);
    }
    try {
      await publishEntityInvalidation(this.redis, this.keyPrefix, [...seen.values()]);
      if (this.failing) this.logger.info('entity invalidations are published again');
      this.failing = false;
    } catch (error) {
      // Logged once per outage: the entries concerned live until their max age.
      if (!this.failing) this.logger.warn({ err: error, entities: seen.size }, 'cannot publish entity invalidations; cached entries expire by max age');
      this.failing = true;
    }
  }

  close(): Promise<void> {
    return closeRedis(this.redis);
  }
}
