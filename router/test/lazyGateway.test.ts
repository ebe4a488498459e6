import { createGraphQLHttpServer, createLogger } from '@booking/runtime';
import { GATEWAY_UNAVAILABLE, LazyGateway, type Startable } from '../src/lazyGateway';

/** Something started and stopped as Apollo Server is, counting what was done to it. */
class Counted implements Startable {
  starts = 0;
  stops = 0;
  constructor(private readonly failing: boolean, private readonly startMs = 20) {}
  async start(): Promise<void> {
    this.starts += 1;
    await new Promise((resolve) => setTimeout(resolve, this.startMs));
    if (this.failing) throw new Error('cannot start');
  }
  async stop(): Promise<void> {
    this.stops += 1;
  }
}

const logger = createLogger('router', 'silent');

describe('LazyGateway', () => {
  it('builds nothing until asked, then builds once for concurrent first callers', async () => {
    const built: Counted[] = [];
    const lazy = new LazyGateway(() => {
      const next = new Counted(false);
      built.push(next);
      return next;
    }, logger);
    expect([lazy.isBuilt, built.length]).toEqual([false, 0]);
    const answers = await Promise.all([lazy.started('plan'), lazy.started('other'), lazy.started('http')]);
    expect(built.length).toBe(1);
    expect(answers.every((answer) => answer === built[0])).toBe(true);
    expect([lazy.isBuilt, built[0]?.starts]).toEqual([true, 1]);
    expect(await lazy.started('plan')).toBe(built[0]);
    await lazy.stop();
    expect(built[0]?.stops).toBe(1);
  });

  it('rejects every waiter of a failed start, and the next call tries again with a new one', async () => {
    const built: Counted[] = [];
    const lazy = new LazyGateway(() => {
      const next = new Counted(built.length === 0);
      built.push(next);
      return next;
    }, logger);
    const first = await Promise.allSettled([lazy.started('plan'), lazy.started('plan')]);
    expect(first.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect([lazy.isBuilt, built.length]).toEqual([false, 1]);
    const second = await lazy.started('plan');
    expect([second === built[1], lazy.isBuilt, built.length]).toEqual([true, true, 2]);
    await lazy.stop();
    // The failed one never served: only the started one is stopped.
    expect(built.map((one) => one.stops)).toEqual([0, 1]);
  });

  it('stops nothing when nothing was built, and stops a start under way at shutdown', async () => {
    const idle = new LazyGateway(() => new Counted(false), logger);
    await idle.stop();
    expect(idle.isBuilt).toBe(false);

    const starting = new Counted(false, 100);
    const lazy = new LazyGateway(() => starting, logger);
    const asked = lazy.started('plan');
    await lazy.stop();
    await expect(asked).rejects.toThrow('shutting down');
    expect([starting.starts, starting.stops, lazy.isBuilt]).toEqual([1, 1, false]);
    await expect(lazy.started('plan')).rejects.toThrow('shutting down');
  });

  it('is answered over HTTP with 503 GATEWAY_UNAVAILABLE when it could not be started', async () => {
    const server = createGraphQLHttpServer({
      apollo: async () => ({ refusal: GATEWAY_UNAVAILABLE }),
      context: async () => ({}),
      logger,
    });
    const url = await server.listen(0, '127.0.0.1');
    try {
      const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
      expect([response.status, response.headers.get('retry-after')]).toEqual([503, '1']);
      expect(await response.json()).toEqual({ errors: [{ message: GATEWAY_UNAVAILABLE.message, extensions: { code: 'GATEWAY_UNAVAILABLE' } }] });
    } finally {
      await server.close();
    }
  });
});
