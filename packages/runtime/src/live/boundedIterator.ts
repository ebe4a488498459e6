/**
 * A push-driven async iterator with a bounded queue. When a slow consumer lets `capacity`
 * values pile up, what happens to the next one is the owner's choice: by default the oldest is
 * dropped (counted in `dropped`), or `onOverflow` runs instead and ends the stream with a value
 * that says why (so nothing is lost silently). `return()` (a client leaving) runs `onEnd` at
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
  readonly ended: boolean;
  /** Values dropped because the consumer fell behind. */
  readonly dropped: number;
}

export interface BoundedIteratorOptions {
  /**
   * Runs when a value arrives at a full queue, instead of dropping the oldest; that value is
   * not queued, and the callback is expected to `end` the stream with one saying why.
   */
  readonly onOverflow?: () => void;
}

export function boundedIterator<T>(capacity: number, onEnd: () => void, options: BoundedIteratorOptions = {}): BoundedIterator<T> {
  const queue: T[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | undefined;
  let ended = false;
  let dropped = 0;

  const deliver = (value: T): boolean => {
    if (!waiting) return false;
    const resolve = waiting;
    waiting = undefined;
    resolve({ value, done: false });
    return true;
  };

  const end = (last?: T, discardQueued = false) => {
    if (ended) return;
    ended = true;
    if (discardQueued) queue.length = 0;
    if (last !== undefined && !deliver(last)) queue.push(last);
    waiting?.({ value: undefined, done: true });
    waiting = undefined;
    onEnd();
  };

  const iterator: AsyncIterableIterator<T> = {
    next: () => {
      if (queue.length > 0) return Promise.resolve({ value: queue.shift() as T, done: false });
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => (waiting = resolve));
    },
    // The consumer leaves: what is queued is nobody's any more.
    return: async () => {
      end(undefined, true);
      queue.length = 0;
      return { value: undefined, done: true };
    },
    throw: async (error: unknown) => {
      end(undefined, true);
      queue.length = 0;
      throw error;
    },
    [Symbol.asyncIterator]: () => iterator,
  };

  return {
    iterator,
    push(value) {
      if (ended || deliver(value)) return;
      if (queue.length >= capacity) {
        dropped += 1;
        if (options.onOverflow) {
          options.onOverflow();
          return;
        }
        queue.shift();
      }
      queue.push(value);
    },
    end: (last) => end(last),
    get ended() {
      return ended;
    },
    get dropped() {
      return dropped;
    },
  };
}
