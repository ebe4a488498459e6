/**
 * A push-driven async iterator with a bounded queue. When a slow consumer lets `capacity`
 * values pile up, the next one is not queued: `onOverflow` runs and ends the stream with a value
 * (`end`) or an error (`fail`) that says why. There is deliberately no "drop the oldest": a
 * value is never lost silently. With `latestPer`, a value
 * replaces a queued one of the same key (for values that only say "this thing changed", the
 * newest says all the older one did), so the queue holds distinct things and overflows only
 * when that many distinct things are waiting. `return()` (a client leaving) runs `onEnd` at
 * once, without waiting for another value, so upstream resources are released immediately.
 */
export interface BoundedIterator<T> {
  readonly iterator: AsyncIterableIterator<T>;
  push(value: T): void;
  /**
   * Ends the iteration from the producer side, running `onEnd` once and at once. Values already
   * queued, then `last` if given, are still delivered: a final error is never lost behind a
   * consumer that was busy when it came.
   */
  end(last?: T): void;
  /** Like `end`, but after the queued values the consumer's next read rejects with `error`. */
  fail(error: Error): void;
  readonly ended: boolean;
  /** Values refused at a full queue (each ran `onOverflow`). */
  readonly dropped: number;
  /** Queued values replaced by a newer one of the same key (`latestPer`): nothing is lost. */
  readonly coalesced: number;
}

export interface BoundedIteratorOptions<T> {
  /**
   * Runs when a value arrives at a full queue; that value is not queued, and the callback is
   * expected to `end` (or `fail`) the stream saying why.
   */
  readonly onOverflow: () => void;
  /**
   * The key of what a value is about; a queued value of the same key is replaced by the newer
   * one (which moves to the back, the order of latest change). Only for values where the newest
   * of a key makes the older ones redundant. `undefined`: the value is never coalesced.
   */
  readonly latestPer?: (value: T) => string | undefined;
}

export function boundedIterator<T>(capacity: number, onEnd: () => void, options: BoundedIteratorOptions<T>): BoundedIterator<T> {
  const queue: T[] = [];
  let waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: Error) => void } | undefined;
  let ended = false;
  let failure: Error | undefined;
  let dropped = 0;
  let coalesced = 0;

  const deliver = (value: T): boolean => {
    if (!waiting) return false;
    const { resolve } = waiting;
    waiting = undefined;
    resolve({ value, done: false });
    return true;
  };

  const finish = (discardQueued: boolean) => {
    ended = true;
    if (discardQueued) {
      queue.length = 0;
      failure = undefined;
    }
    onEnd();
  };

  const end = (last?: T, discardQueued = false) => {
    if (ended) return;
    if (last !== undefined && !deliver(last)) queue.push(last);
    waiting?.resolve({ value: undefined, done: true });
    waiting = undefined;
    finish(discardQueued);
  };

  const fail = (error: Error) => {
    if (ended) return;
    if (waiting) {
      waiting.reject(error);
      waiting = undefined;
    } else {
      failure = error;
    }
    finish(false);
  };

  const iterator: AsyncIterableIterator<T> = {
    next: () => {
      if (queue.length > 0) return Promise.resolve({ value: queue.shift() as T, done: false });
      if (failure) {
        const error = failure;
        failure = undefined;
        return Promise.reject(error);
      }
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => (waiting = { resolve, reject }));
    },
    // The consumer leaves: what is queued is nobody's any more.
    return: async () => {
      end(undefined, true);
      queue.length = 0;
      failure = undefined;
      return { value: undefined, done: true };
    },
    throw: async (error: unknown) => {
      end(undefined, true);
      queue.length = 0;
      failure = undefined;
      throw error;
    },
    [Symbol.asyncIterator]: () => iterator,
  };

  const replaceSameKey = (value: T): boolean => {
    const key = options.latestPer?.(value);
    if (key === undefined) return false;
    const older = queue.findIndex((queued) => options.latestPer?.(queued) === key);
    if (older < 0) return false;
    queue.splice(older, 1);
    queue.push(value);
    coalesced += 1;
    return true;
  };

  return {
    iterator,
    push(value) {
      if (ended || deliver(value) || replaceSameKey(value)) return;
      if (queue.length >= capacity) {
        dropped += 1;
        options.onOverflow();
        return;
      }
      queue.push(value);
    },
    end: (last) => end(last),
    fail,
    get ended() {
      return ended;
    },
    get dropped() {
      return dropped;
    },
    get coalesced() {
      return coalesced;
    },
  };
}
