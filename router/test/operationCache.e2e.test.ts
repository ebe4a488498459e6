import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startStack, type Stack } from '@booking/testkit';

/** A full collection, so heap figures are what is retained (the router runs in this process). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const MiB = 1024 * 1024;

/**
 * Issue 9, item 4: distinct valid operations of 1 MB each (comment padding) were kept whole by
 * the prepared-operation cache (and, on the gateway path, by Apollo Server's document store),
 * up to 2,000 of them: gigabytes. Every operation cache is bounded by the bytes it retains.
 */
describe('operation caches under a flood of 1 MB operations', () => {
  let stack: Stack;
  let gatewayUrl: string;

  beforeAll(async () => {
    stack = await startStack();
    gatewayUrl = (await stack.startRouter({ ROUTER_EXECUTOR: 'gateway' })).url;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** Just under the router's 1 MiB body limit, as the flood. */
  function operation(i: number): string {
    const query = `query Flood${i} { a${i}: listings(first: 1) { edges { node { id } } } }\n# `;
    return query + 'x'.repeat(1_000_000 - query.length);
  }

  it.each(['router', 'gateway'] as const)('200 distinct 1 MB operations on the %s executor leave the heap within its bound', async (executor) => {
    const url = executor === 'router' ? stack.routerUrl : gatewayUrl;
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const started = performance.now();
    const count = 200;
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < count; i = next++) {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: operation(i) }) });
        const body = (await response.json()) as { data?: Record<string, { edges: unknown[] }>; errors?: unknown };
        if (response.status !== 200 || body.errors || body.data?.[`a${i}`]?.edges === undefined) throw new Error(`operation ${i}: ${JSON.stringify(body)}`);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    const ms = performance.now() - started;
    collectGarbage();
    const retainedMb = (process.memoryUsage().heapUsed - before) / MiB;
    // eslint-disable-next-line no-console
    console.log(`operation flood: ${count} × 1 MB on the ${executor} executor: ${(ms / 1000).toFixed(1)} s, heap retained +${retainedMb.toFixed(1)} MB`);
    // Unbounded, 200 MB of query text stays; the default budget is 64 MiB for all caches together.
    expect(retainedMb).toBeLessThan(100);
  }, 180_000);
});
