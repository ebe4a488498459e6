import { randomUUID } from 'node:crypto';
import { countingForward, registerThroughRouter, startStack, type CountingForward, type Stack } from '@booking/testkit';

const CAP = 3;
const SLOW_MS = 1500;

/**
 * Load shedding on a router of the stack: catalog answers slowly (a forward that
 * holds each call), so requests pile up in the router; past MAX_CONCURRENT_REQUESTS they are
 * refused at once with 503 SERVICE_OVERLOADED and Retry-After, never queued.
 */
describe('load shedding (MAX_CONCURRENT_REQUESTS)', () => {
  let stack: Stack;
  let catalog: CountingForward;
  let routerUrl: string;

  beforeAll(async () => {
    stack = await startStack();
    catalog = await countingForward(stack.subgraphs.catalog.graphqlUrl, () => ({ delayMs: SLOW_MS }));
    routerUrl = (await stack.startRouter({ CATALOG_URL: catalog.url, MAX_CONCURRENT_REQUESTS: String(CAP) })).url;
  });
  afterAll(async () => {
    await stack?.stop();
    await catalog?.close();
  });

  const slowQuery = () =>
    fetch(routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query SlowListing($id: ID!) { listing(id: $id) { id } }', variables: { id: randomUUID() } }),
    });

  it('answers the first requests and refuses the rest at once with 503 SERVICE_OVERLOADED, nothing queued', async () => {
    const startedAt = Date.now();
    const timed = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const response = await slowQuery();
        return { response, body: (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string; limit?: number } }[] }, ms: Date.now() - startedAt };
      }),
    );
    const answered = timed.filter(({ response }) => response.status === 200);
    const refused = timed.filter(({ response }) => response.status === 503);
    expect(answered).toHaveLength(CAP);
    expect(refused).toHaveLength(10 - CAP);
    for (const { body } of answered) expect(body.data).toEqual({ listing: null });
    for (const { response, body, ms } of refused) {
      expect(response.headers.get('retry-after')).toBe('1');
      expect(body.errors?.[0]?.extensions).toEqual({ code: 'SERVICE_OVERLOADED', limit: CAP });
      // Refused on arrival, not after waiting for a slot.
      expect(ms).toBeLessThan(SLOW_MS);
    }
    // Only the admitted requests reached the subgraph.
    expect(catalog.calls()).toBe(CAP);

    // Their slots are free again: the next request is served, and probes are never shed.
    expect((await slowQuery()).status).toBe(200);
    const origin = new URL(routerUrl).origin;
    const [health, ...more] = await Promise.all([fetch(`${origin}/health`), ...Array.from({ length: CAP }, () => slowQuery())]);
    expect(health.status).toBe(200);
    expect(more.map((response) => response.status)).toEqual(Array(CAP).fill(200));

    // Counted as refusals, like every other refusal code.
    const metrics = await (await fetch(`${origin}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^router_refusals_total\\{code="SERVICE_OVERLOADED"\\} ${10 - CAP}$`, 'm'));
  });

  it('does not count open subscription streams: they have quotas of their own', async () => {
    const tag = randomUUID().slice(0, 8);
    const host = await registerThroughRouter(stack, `shed-host-${tag}@e2e.example`, 'HOST');
    const guest = await registerThroughRouter(stack, `shed-guest-${tag}@e2e.example`);
    const created = await stack.query<{ createListing: { id: string } }>(
      'mutation($input: CreateListingInput!) { createListing(input: $input) { id } }',
      { input: { title: 'Busy loft', city: 'Porto', capacity: 2, pricePerNight: { amount: 9000, currency: 'EUR' } } },
      host.accessToken,
    );
    const listingId = created.data!.createListing.id;
    // A router of its own straight at catalog (the slow forward takes no WebSocket upgrades).
    const direct = (await stack.startRouter({ MAX_CONCURRENT_REQUESTS: String(CAP) })).url;
    const streams = await Promise.all(
      Array.from({ length: CAP }, () =>
        fetch(direct, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'multipart/mixed;subscriptionSpec=1.0', authorization: `Bearer ${guest.accessToken}` },
          body: JSON.stringify({ query: 'subscription Watch($l: ID!) { availabilityChanged(listingId: $l) { listingId available } }', variables: { l: listingId } }),
        }),
      ),
    );
    try {
      for (const stream of streams) expect(stream.headers.get('content-type')).toMatch(/^multipart\/mixed/);
      // Every stream is still open (nothing more arrives within a moment but heartbeats)...
      const readers = streams.map((stream) => stream.body!.getReader());
      const ended = await Promise.race([
        Promise.all(readers.map(async (reader) => { for (;;) if ((await reader.read()).done) return true; })),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), 300)),
      ]);
      expect(ended).toBe(false);
      // ...and queries are admitted beside them, up to the cap (were the streams counted, the
      // cap would be full and every one refused).
      const answers = await Promise.all(Array.from({ length: CAP }, () => fetch(direct, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) })));
      expect(answers.map((response) => response.status)).toEqual(Array(CAP).fill(200));
      await Promise.all(readers.map((reader) => reader.cancel()));
    } finally {
      for (const stream of streams) await stream.body?.cancel().catch(() => undefined);
    }
  });
});
