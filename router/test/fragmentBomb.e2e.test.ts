import { graphqlRequest, registerThroughRouter, startStack, type Stack, type TestSession } from '@booking/testkit';
import { PlanExecution } from '../src/execution/planExecutor';

/**
 * Issue 9, item 1: a document whose fragments each spread the next twice is 1.4 KB at 30
 * levels but 2^30 fields once inlined. Authorization, planning and shaping must stay linear in
 * the document on both executors, for anonymous callers (whose fragments lose a field) and for
 * signed-in ones (whose operation loses a root field), and report each denied field once per
 * response path.
 */
describe('fragment bomb', () => {
  let stack: Stack;
  let gatewayUrl: string;
  let guest: TestSession;
  let listingIds: string[];

  beforeAll(async () => {
    stack = await startStack();
    gatewayUrl = (await stack.startRouter({ ROUTER_EXECUTOR: 'gateway' })).url;
    const host = await registerThroughRouter(stack, 'bomb-host@e2e.example', 'HOST');
    guest = await registerThroughRouter(stack, 'bomb-guest@e2e.example');
    for (const title of ['Bomb loft', 'Bomb cabin', 'Bomb flat']) {
      const created = await stack.query(
        'mutation($input: CreateListingInput!) { createListing(input: $input) { id } }',
        { input: { title, city: 'Porto', capacity: 2, pricePerNight: { amount: 9000, currency: 'EUR' } } },
        host.accessToken,
      );
      expect(created.errors).toBeUndefined();
    }
    const listed = await stack.query<{ listings: { edges: { node: { id: string } }[] } }>('{ listings(first: 100) { edges { node { id } } } }');
    listingIds = listed.data?.listings.edges.map((edge) => edge.node.id) ?? [];
    expect(listingIds.length).toBeGreaterThanOrEqual(3);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** The issue's repro; each fragment also selects `Listing.bookings` (@authenticated). */
  function bomb(levels: number, root = ''): string {
    const fragments = Array.from(
      { length: levels },
      (_, i) => `fragment L${i} on Listing { id bookings { id } ${i + 1 < levels ? `...L${i + 1} ...L${i + 1}` : ''} }`,
    );
    return `{ ${root} listings(first: 100) { edges { node { ...L0 } } } } ${fragments.join(' ')}`;
  }

  /** The request's time and the highest heap seen while it ran (the router runs in this process). */
  async function measured(url: string, query: string, token?: string) {
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 5);
    const started = performance.now();
    try {
      const response = await graphqlRequest<{ listings: { edges: { node: { id: string; bookings?: unknown[] } }[] } }>(
        url,
        query,
        {},
        token ? { authorization: `Bearer ${token}` } : {},
      );
      return { response, ms: performance.now() - started, heapGrowthMb: (Math.max(peak, process.memoryUsage().heapUsed) - before) / 2 ** 20 };
    } finally {
      clearInterval(sampler);
    }
  }

  const cases = [30, 60].flatMap((levels) =>
    (['router', 'gateway'] as const).flatMap((executor) => (['anonymous', 'guest'] as const).map((who) => [levels, executor, who] as const)),
  );

  it.each(cases)('%i levels on the %s executor, %s: answered at once, with the right data and errors', async (levels, executor, who) => {
    const url = executor === 'router' ? stack.routerUrl : gatewayUrl;
    // Signed in, Listing.bookings is allowed; Query.users (admin scope) is what gets removed.
    const query = bomb(levels, who === 'guest' ? 'users(first: 1) { edges { cursor } }' : '');
    const run = jest.spyOn(PlanExecution.prototype, 'run');
    let executed = false;
    const { response, ms, heapGrowthMb } = await measured(url, query, who === 'guest' ? guest.accessToken : undefined).finally(() => {
      executed = run.mock.calls.length > 0;
      run.mockRestore();
    });
    // The router's own executor (planner, plan execution, shaper) served it, not the gateway.
    expect(executed).toBe(executor === 'router');
    // eslint-disable-next-line no-console
    console.log(`fragment bomb: ${levels} levels, ${executor}, ${who}: ${ms.toFixed(0)} ms, heap +${heapGrowthMb.toFixed(1)} MB`);
    expect(response.status).toBe(200);
    expect(response.data?.listings.edges.map((edge) => edge.node.id)).toEqual(listingIds);
    if (who === 'anonymous') {
      expect(response.data?.listings.edges.every((edge) => Object.keys(edge.node).join() === 'id')).toBe(true);
      // Once per listing (at its index), however many fragment paths reach the field.
      expect(response.errors).toEqual(
        listingIds.map((_id, index) => ({
          message: 'Unauthenticated: Listing.bookings requires a signed-in user',
          path: ['listings', 'edges', index, 'node', 'bookings'],
          extensions: { code: 'UNAUTHENTICATED' },
        })),
      );
    } else {
      expect(response.data?.listings.edges.every((edge) => Array.isArray(edge.node.bookings))).toBe(true);
      expect(response.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([[['users'], 'FORBIDDEN']]);
    }
    expect(ms).toBeLessThan(5_000);
    expect(heapGrowthMb).toBeLessThan(100);
  });

  it('reports a denied field at every response path a fragment reaches, each once', async () => {
    const query = `{ a: listings(first: 1) { edges { node { ...Card ...Card } } } b: listings(first: 1) { edges { node { ...Card } } } }
      fragment Card on Listing { title ...Inner } fragment Inner on Listing { bookings { id } again: bookings { id } }`;
    for (const url of [stack.routerUrl, gatewayUrl]) {
      const response = await graphqlRequest(url, query);
      expect(response.errors?.map((error) => error.path)).toEqual([
        ['a', 'edges', 0, 'node', 'bookings'],
        ['a', 'edges', 0, 'node', 'again'],
        ['b', 'edges', 0, 'node', 'bookings'],
        ['b', 'edges', 0, 'node', 'again'],
      ]);
      expect(response.data).toEqual({ a: { edges: [{ node: { title: expect.any(String) } }] }, b: { edges: [{ node: { title: expect.any(String) } }] } });
    }
  });
});
