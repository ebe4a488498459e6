import type { PubSubEngine } from 'graphql-subscriptions';

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
    const queue: T[] = [];
    let waiting: ((result: IteratorResult<T>) => void) | undefined;
    let done = false;
    let subscription: Promise<number> | undefined;
    const channel = this.channel(topic, id);
    this.active += 1;

    const finish = async (): Promise<IteratorResult<T>> => {
      if (!done) {
        done = true;
        this.active -= 1;
        queue.length = 0;
        waiting?.({ value: undefined, done: true });
        waiting = undefined;
        const subscriptionId = await subscription?.catch(() => undefined);
        if (subscriptionId !== undefined) this.engine.unsubscribe(subscriptionId);
      }
      return { value: undefined, done: true };
    };

    subscription = this.engine.subscribe(
      channel,
      (payload: T) => {
      if (done) return;
      if (waiting) {
        const resolve = waiting;
        waiting = undefined;
        resolve({ value: payload, done: false });
        return;
      }
      if (queue.length >= SUBSCRIBER_BUFFER) queue.shift();
      queue.push(payload);
      },
      {},
    );

    const iterator: AsyncIterableIterator<T> = {
      next: () => {
        if (queue.length > 0) return Promise.resolve({ value: queue.shift() as T, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (waiting = resolve));
      },
      return: finish,
      throw: async (error: unknown) => {
        await finish();
        throw error;
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}
