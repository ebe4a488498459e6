/**
 * A push-driven async iterator with a bounded queue. When a slow consumer lets `capacity`
 * values pile up, the oldest is dropped: every value here announces a newer state, so the
 * newest matter and memory stays bounded. `return()` (a client leaving) runs `onEnd` at once,
 * without waiting for another value, so upstream resources are released immediately.
 */
export interface BoundedIterator<T> {
  readonly iterator: AsyncIterableIterator<T>;
  push(value: T): void;
  /** Ends the iteration (from the producer side), running `onEnd` once. */
  end(): void;
  readonly ended: boolean;
  /** Values dropped because the consumer fell behind. */
  readonly dropped: number;
}

export function boundedIterator<T>(capacity: number, onEnd: () => void): BoundedIterator<T> {
  const queue: T[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | undefined;
  let ended = false;
  let dropped = 0;

  const end = () => {
    if (ended) return;
    ended = true;
    queue.length = 0;
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
    return: async () => {
      end();
      return { value: undefined, done: true };
    },
    throw: async (error: unknown) => {
      end();
      throw error;
    },
    [Symbol.asyncIterator]: () => iterator,
  };

  return {
    iterator,
    push(value) {
      if (ended) return;
      if (waiting) {
        const resolve = waiting;
        waiting = undefined;
        resolve({ value, done: false });
        return;
      }
      if (queue.length >= capacity) {
        queue.shift();
        dropped += 1;
      }
      queue.push(value);
    },
    end,
    get ended() {
      return ended;
    },
    get dropped() {
      return dropped;
    },
  };
}
