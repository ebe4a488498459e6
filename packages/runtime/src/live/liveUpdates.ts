import type { PubSubEngine } from 'graphql-subscriptions';
import { boundedIterator } from './boundedIterator';

/** A change a subscription is told about: `topic` names the kind, `id` the thing. */
export interface LiveUpdate {
  readonly topic: string;
  readonly id: string;
  readonly payload: Record<string, unknown>;
}

/** Most updates a slow subscriber may have queued; past it the oldest are dropped. */
export const SUBSCRIBER_BUFFER = 64;

/**
 * Live updates over a pub/sub engine (graphql-redis-subscriptions' RedisPubSub across
 * instances, graphql-subscriptions' in-memory PubSub in one process). Each subscription is a
 * bounded queue: updates only say "this changed", so when a slow subscriber's queue is full
 * the oldest are dropped (it will read the current state anyway) and memory stays bounded.
 * `return()` unsubscribes at once, without waiting for a next update.
 */
export class LiveUpdates {
  private active = 0;

  constructor(
    private readonly engine: PubSubEngine,
    private readonly keyPrefix: string,
  ) {}

  channel(topic: string, id: string): string {
    return `${this.keyPrefix}live:${topic}:${id}`;
  }

  async publish(update: LiveUpdate): Promise<void> {
    await this.engine.publish(this.channel(update.topic, update.id), update.payload);
  }

  activeSubscriptions(): number {
    return this.active;
  }

  subscribe<T = Record<string, unknown>>(topic: string, id: string): AsyncIterableIterator<T> {
    this.active += 1;
    let subscription: Promise<number> | undefined;
    const stream = boundedIterator<T>(SUBSCRIBER_BUFFER, () => {
      this.active -= 1;
      void subscription?.then((subscriptionId) => this.engine.unsubscribe(subscriptionId), () => undefined);
    });
    subscription = this.engine.subscribe(this.channel(topic, id), (payload: T) => stream.push(payload), {});
    return stream.iterator;
  }
}
