import type { Redis } from 'ioredis';

const closing = new WeakMap<Redis, Promise<void>>();

/**
 * Closes an ioredis connection at once (a blocking XREADGROUP or a SUBSCRIBE ends with it) and
 * resolves when the socket is closed, so a `close()` that awaits it leaves nothing behind.
 *
 * Why not `redis.disconnect()` alone: it only half-closes the socket and arms a 2 s (ref'd)
 * timer that is cleared by the socket's 'close' event. Called a second time after the socket
 * closed, it arms that timer again with nothing left to clear it, and the process (a jest
 * worker, a stopping service) lives on for 2 s. Hence one disconnect per connection, awaited.
 */
export function closeRedis(redis: Redis): Promise<void> {
  let closed = closing.get(redis);
  if (closed) return closed;
  if (redis.status === 'end') {
    closed = Promise.resolve();
  } else if (redis.status === 'reconnecting') {
    // The socket is already gone: disconnect() only cancels the pending reconnect, and no
    // 'end' follows (ioredis emits it only from a socket's close).
    redis.disconnect();
    closed = Promise.resolve();
  } else {
    closed = new Promise<void>((resolve) => redis.once('end', () => resolve()));
    redis.disconnect();
  }
  closing.set(redis, closed);
  return closed;
}
