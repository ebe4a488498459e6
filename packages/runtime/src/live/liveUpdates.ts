import type { PubSubEngine } from 'graphql-subscriptions';
import { DomainError } from '../errors/domainErrors';
import { boundedIterator } from './boundedIterator';

/** A change a subscription is told about: `topic` names the kind, `id` the thing. */
export interface LiveUpdate {
  readonly topic: string;
  readonly id: string;
  readonly payload: Record<string, unknown>;
}

/** Most updates (of distinct things, with `latestPer`) a slow subscriber may have queued. */
export const SUBSCRIBER_BUFFER = 64;

/** A subscription whose consumer fell behind was ended rather than lose an update. */
export class SlowConsumer extends DomainError {
  readonly code = 'SLOW_CONSUMER';
  constructor(buffer: number) {
    super(
      `The subscriber fell more than ${buffer} updates behind this stream, which was ended rather than drop one; subscribe again and refetch what you show`,
    );
  }
}

export interface SubscribeOptions<T> {
  /**
   * What an update is about (e.g. its booking id) when an update only says "this changed" and
   * its resolver reads the current state: a newer update replaces a queued one of the same key,
   * losing nothing. Leave it out for updates that carry facts of their own (every one counts).
   */
  readonly latestPer?: (payload: T) => string;
  /**
   * The updates that stand for the thing's current state (for updates that only say "this
   * changed" and whose resolver reads the state). Yielded first when the router resumes this
   * subscription after losing its upstream socket (see `resuming`), so a subscriber misses
   * nothing that changed in the gap. Leave it out where updates are facts of their own.
   */
  readonly current?: readonly T[];
}

/**
 * Live updates over a pub/sub engine (graphql-redis-subscriptions' RedisPubSub across
 * instances, graphql-subscriptions' in-memory PubSub in one process). Each subscription is a
 * bounded queue, so memory stays bounded, and nothing is dropped silently: updates of the same
 * key (`latestPer`) coalesce into the newest (which reads the current state anyway), and when
 * more than SUBSCRIBER_BUFFER distinct updates wait for a slow subscriber, its stream ends with
 * a SlowConsumer error (the subgraph's subscription server turns it into a last coded result, so
 * the router's pooled socket and its other subscriptions are untouched). Dropping the oldest
 * was not enough: `myBookings` carries signals for different bookings on one topic, and a
 * dropped signal for one booking is never replaced by another booking's.
 * `return()` unsubscribes at once, without waiting for a next update.
 */
export class LiveUpdates {
  constructor(
    private readonly engine: PubSubEngine,
    private readonly keyPrefix: string,
    /** Shared with the `resuming` views, so the count is the process's. */
    private readonly counts: { active: number } = { active: 0 },
    private readonly resumed = false,
  ) {}

  /**
   * These live updates for a subscription the router resumes (it lost its socket to this
   * subgraph, e.g. a restart, and subscribed again): every subscription yields its `current`
   * updates first. The router's expectation, documented in the README: the current state first
   * on a resumed subscription, so its clients see the state reached while it was cut off.
   */
  resuming(): LiveUpdates {
    return new LiveUpdates(this.engine, this.keyPrefix, this.counts, true);
  }

  channel(topic: string, id: string): string {
    return `${this.keyPrefix}live:${topic}:${id}`;
  }

  async publish(update: LiveUpdate): Promise<void> {
    await this.engine.publish(this.channel(update.topic, update.id), update.payload);
  }

  activeSubscriptions(): number {
    return this.counts.active;
  }

  subscribe<T = Record<string, unknown>>(topic: string, id: string, options: SubscribeOptions<T> = {}): AsyncIterableIterator<T> {
    this.counts.active += 1;
    let subscription: Promise<number> | undefined;
    const stream = boundedIterator<T>(
      SUBSCRIBER_BUFFER,
      () => {
        this.counts.active -= 1;
        void subscription?.then((subscriptionId) => this.engine.unsubscribe(subscriptionId), () => undefined);
      },
      { latestPer: options.latestPer, onOverflow: () => stream.fail(new SlowConsumer(SUBSCRIBER_BUFFER)) },
    );
    subscription = this.engine.subscribe(this.channel(topic, id), (payload: T) => stream.push(payload), {});
    // Queued before any update the engine delivers (those only arrive once it has subscribed).
    if (this.resumed) for (const payload of options.current ?? []) stream.push(payload);
    return stream.iterator;
  }
}
