import { createHook } from 'node:async_hooks';
import { closeRedis, RedisEventStreams } from '@booking/runtime';
import { Redis } from 'ioredis';
import { connectRedis, testKeyPrefix, testRedisUrl } from '@booking/testkit';

/** Timers created from now on that are still pending (neither fired nor cleared) and hold the process open. */
function pendingTimers() {
  const pending = new Map<number, { hasRef(): boolean }>();
  const hook = createHook({
    init(id, type, _trigger, resource) {
      if (type === 'Timeout') pending.set(id, resource as { hasRef(): boolean });
    },
    destroy(id) {
      pending.delete(id);
    },
  }).enable();
  return {
    async holdingTheProcess(): Promise<number> {
      // destroy hooks of cleared timers run on a later turn.
      await new Promise((resolve) => setImmediate(resolve));
      hook.disable();
      return [...pending.values()].filter((timer) => timer.hasRef()).length;
    },
  };
}

/**
 * A stopped service or test must leave nothing running: a jest worker with a live timer or
 * socket is force-exited, and a stopping process lingers. ioredis's disconnect() leaves a
 * half-closed socket and a 2 s timer, and a second disconnect() re-arms that timer for good.
 */
describe('closing Redis connections', () => {
  it('ends a blocking XREADGROUP, resolves once the socket is closed, and leaves no timer when closed again', async () => {
    const redis = connectRedis();
    const streams = new RedisEventStreams(redis);
    const key = `${testKeyPrefix('close')}stream`;
    await streams.ensureGroup(key, 'probe');
    const blocked = streams.readGroup(key, 'probe', 'probe-1', 10, 30_000);
    const timers = pendingTimers();
    // A consumer's stop() closes its connection to end the read, then the subgraph closes every
    // connection it opened, that one included.
    const closing = streams.close();
    await expect(blocked).rejects.toThrow(/event streams closed|Connection is closed/);
    await closing;
    expect(redis.status).toBe('end');
    await streams.close();
    expect(await timers.holdingTheProcess()).toBe(0);
  });

  it('resolves for a connection that was never opened, and again for one already closed', async () => {
    const unopened = new Redis(testRedisUrl(), { lazyConnect: true });
    await closeRedis(unopened);
    expect(unopened.status).toBe('end');
    await expect(closeRedis(unopened)).resolves.toBeUndefined();
  });
});
