import { RedisPubSub } from 'graphql-redis-subscriptions';
import { PubSub, type PubSubEngine } from 'graphql-subscriptions';
import { Redis } from 'ioredis';
import { closeRedis } from '../redis/closeRedis';

/** Redis pub/sub (one publisher and one subscriber connection per process): live across instances. */
export function redisPubSubEngine(url: string): { engine: PubSubEngine; close(): Promise<void> } {
  const publisher = new Redis(url, { maxRetriesPerRequest: 2 });
  const subscriber = new Redis(url, { maxRetriesPerRequest: null });
  publisher.on('error', () => undefined);
  subscriber.on('error', () => undefined);
  const engine = new RedisPubSub({ publisher, subscriber });
  return {
    engine,
    async close() {
      await Promise.all([closeRedis(publisher), closeRedis(subscriber)]);
    },
  };
}

/** One process only (tests of a single instance, the no-Redis launcher mode). */
export function inMemoryPubSubEngine(): { engine: PubSubEngine; close(): Promise<void> } {
  return { engine: new PubSub(), close: async () => undefined };
}
