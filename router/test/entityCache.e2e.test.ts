import { randomUUID } from 'node:crypto';
import {
  countingForward,
  createListingThroughRouter,
  eventually,
  findFreePort,
  graphqlRequest,
  registerThroughRouter,
  startRedisServer,
  startStack,
  TEST_PASSWORD,
  waitFor,
  waitUntilBookable,
  type CountingForward,
  type RegisteredSession,
  type RunningRedis,
  type Stack,
} from '@booking/testkit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Router = Awaited<ReturnType<Stack['startRouter']>>['router'];

/** The sum of a router counter's series whose labels include `labels`. */
async function counted(router: Router, name: string, labels: Record<string, string>): Promise<number> {
  const metric = router.metrics?.registry.getSingleMetric(name);
  if (!metric) throw new Error(`the router has no metric ${name}`);
  const { values } = await metric.get();
  return values.filter((value) => Object.entries(labels).every(([label, wanted]) => value.labels[label] === wanted)).reduce((sum, value) => sum + value.value, 0);
}

/** Waits with a deadline for an asynchronous condition. */
async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Entries are written after the answer is sent: a test that reads twice to see a hit waits for
 * the first read's entries (counted by router_entity_cache_writes_total) before the second.
 */
async function storedAfter<Answer>(router: Router, subgraph: string, read: () => Promise<Answer>): Promise<Answer> {
  const stored = () => counted(router, 'router_entity_cache_writes_total', { subgraph, outcome: 'stored' });
  const before = await stored();
  const answer = await read();
  await until(async () => (await stored()) > before, 5_000, `an entry of ${subgraph} stored in the entity cache`);
  return answer;
}

const BOOKING_WITH_LISTING = 'query($id: ID!) { booking(id: $id) { id listing { id title city } } }';
const LISTING_BOOKINGS = 'query($id: ID!) { listing(id: $id) { id bookings { id guests } } }';

/**
 * The entity cache on the real stack: subgraphs' @cacheControl hints, their invalidations
 * after commit, and two router instances sharing one Redis. Catalog sits behind a counting
 * forward so a cache hit is proven by catalog not being called.
 */
describe('entity cache (ENTITY_CACHE=on) on the real stack', () => {
  let stack: Stack;
  let catalog: CountingForward;
  let accounts: CountingForward;
  let routers: string[];
  let instances: Router[];
  let host: RegisteredSession;
  let guests: RegisteredSession[];
  let listingId: string;
  const bookingIds: string[] = [];

  const ask = <Data = Record<string, unknown>>(url: string, query: string, variables: Record<string, unknown>, session: RegisteredSession) =>
    graphqlRequest<Data>(url, query, variables, { authorization: `Bearer ${session.accessToken}` });

  beforeAll(async () => {
    stack = await startStack({ routerEnv: { ENTITY_CACHE: 'on' } });
    catalog = await countingForward(stack.subgraphs.catalog.graphqlUrl);
    accounts = await countingForward(stack.subgraphs.accounts.graphqlUrl);
    const forwards = { CATALOG_URL: catalog.url, ACCOUNTS_URL: accounts.url };
    const started = [await stack.startRouter(forwards), await stack.startRouter(forwards)];
    routers = started.map(({ url }) => url);
    instances = started.map(({ router }) => router);
    const tag = randomUUID().slice(0, 8);
    host = await registerThroughRouter(stack, `cache-host-${tag}@e2e.example`, 'HOST');
    guests = [
      await registerThroughRouter(stack, `cache-guest-a-${tag}@e2e.example`),
      await registerThroughRouter(stack, `cache-guest-b-${tag}@e2e.example`),
    ];
    listingId = await createListingThroughRouter(stack, host, { title: 'Cached loft', city: 'Porto', capacity: 4, pricePerNight: { amount: 9000, currency: 'EUR' } });
    await waitUntilBookable(stack, listingId, guests[0]!);
    for (const [index, guest] of guests.entries()) {
      const held = await stack.query<{ createBooking: { id: string } }>(
        'mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }',
        { input: { listingId, startsAt: `2035-0${index + 1}-01T15:00:00Z`, endsAt: `2035-0${index + 1}-03T11:00:00Z`, guests: index + 1, idempotencyKey: randomUUID() } },
        guest.accessToken,
      );
      if (!held.data) throw new Error(`createBooking failed: ${JSON.stringify(held.errors)}`);
      bookingIds.push(held.data.createBooking.id);
    }
  });
  afterAll(async () => {
    await stack?.stop();
    await catalog?.close();
    await accounts?.close();
  });

  it("serves a second identical entity fetch of a listing from Redis: catalog is not called again", async () => {
    const before = catalog.calls();
    const hitsBefore = await counted(instances[0]!, 'router_entity_cache_lookups_total', { subgraph: 'catalog', outcome: 'hit' });
    const missesBefore = await counted(instances[0]!, 'router_entity_cache_lookups_total', { subgraph: 'catalog', outcome: 'miss' });
    const first = await storedAfter(instances[0]!, 'catalog', () => ask<{ booking: { listing: { title: string } } }>(routers[0]!, BOOKING_WITH_LISTING, { id: bookingIds[0] }, guests[0]!));
    expect(first.errors).toBeUndefined();
    expect(first.data?.booking.listing).toEqual({ id: listingId, title: 'Cached loft', city: 'Porto' });
    const afterFirst = catalog.calls();
    expect(afterFirst).toBeGreaterThan(before);
    const second = await ask(routers[0]!, BOOKING_WITH_LISTING, { id: bookingIds[0] }, guests[0]!);
    expect(second).toEqual(first);
    expect(catalog.calls()).toBe(afterFirst);
    // Counted per entity: the first read missed the listing, the second found it.
    expect(await counted(instances[0]!, 'router_entity_cache_lookups_total', { subgraph: 'catalog', outcome: 'miss' })).toBe(missesBefore + 1);
    expect(await counted(instances[0]!, 'router_entity_cache_lookups_total', { subgraph: 'catalog', outcome: 'hit' })).toBe(hitsBefore + 1);
    // The other instance shares the entry (PUBLIC: the same for every guest).
    const elsewhere = await ask(routers[1]!, BOOKING_WITH_LISTING, { id: bookingIds[0] }, guests[0]!);
    expect(elsewhere).toEqual(first);
    expect(catalog.calls()).toBe(afterFirst);
  });

  it('shows an updated listing through either router once the invalidation is delivered', async () => {
    for (const url of routers) await ask(url, BOOKING_WITH_LISTING, { id: bookingIds[1] }, guests[1]!);
    const updated = await stack.query('mutation($id: ID!, $input: UpdateListingInput!) { updateListing(id: $id, input: $input) { title } }', { id: listingId, input: { title: 'Renamed loft' } }, host.accessToken);
    expect(updated.errors).toBeUndefined();
    for (const url of routers) {
      const seen = await eventually(
        () => ask<{ booking: { listing: { title: string } } }>(url, BOOKING_WITH_LISTING, { id: bookingIds[1] }, guests[1]!),
        (data) => data.booking.listing.title === 'Renamed loft',
        5_000,
      );
      expect(seen.booking.listing.title).toBe('Renamed loft');
    }
  });

  it("never shows one guest another's PRIVATE data (a listing's bookings are the viewer's own)", async () => {
    for (let round = 0; round < 2; round += 1) {
      for (const [index, guest] of guests.entries()) {
        for (const url of routers) {
          const answer = await ask<{ listing: { bookings: { id: string; guests: number }[] } }>(url, LISTING_BOOKINGS, { id: listingId }, guest);
          expect(answer.errors).toBeUndefined();
          expect(answer.data?.listing.bookings).toEqual([{ id: bookingIds[index], guests: index + 1 }]);
        }
      }
    }
  });

  it('never serves a listing older than the last eviction to a read started after it, while reads run and updates commit', async () => {
    const versionOf = (title: string) => Number(/^Version (\d+)$/.exec(title)?.[1] ?? 0);
    const evicted = () => Promise.all(instances.map((router) => counted(router, 'router_entity_cache_evictions_total', { typename: 'Listing' })));
    const hitsBefore = await counted(instances[0]!, 'router_entity_cache_lookups_total', { subgraph: 'catalog', outcome: 'hit' });
    /** When (performance.now()) every router had evicted the listing after version v committed. */
    const evictedAt: number[] = [0];
    const reads: { startedAt: number; version: number; url: string }[] = [];
    let writing = true;
    const reader = async (url: string, guest: number) => {
      while (writing) {
        const startedAt = performance.now();
        const answer = await ask<{ booking: { listing: { title: string } } }>(url, BOOKING_WITH_LISTING, { id: bookingIds[guest] }, guests[guest]!);
        if (answer.errors || !answer.data) throw new Error(`read failed: ${JSON.stringify(answer.errors)}`);
        reads.push({ startedAt, version: versionOf(answer.data.booking.listing.title), url });
      }
    };
    // And the root field cache (Query.listing), anonymous: the same eviction must reach it.
    const rootReader = async (url: string) => {
      while (writing) {
        const startedAt = performance.now();
        const answer = await graphqlRequest<{ listing: { title: string } }>(url, 'query($id: ID!) { listing(id: $id) { id title } }', { id: listingId });
        if (answer.errors || !answer.data) throw new Error(`read failed: ${JSON.stringify(answer.errors)}`);
        reads.push({ startedAt, version: versionOf(answer.data.listing.title), url });
      }
    };
    const readers = routers.flatMap((url) => [reader(url, 0), reader(url, 1), rootReader(url)]);
    try {
      for (let version = 1; version <= 8; version += 1) {
        const before = await evicted();
        const updated = await stack.query('mutation($id: ID!, $input: UpdateListingInput!) { updateListing(id: $id, input: $input) { title } }', { id: listingId, input: { title: `Version ${version}` } }, host.accessToken);
        expect(updated.errors).toBeUndefined();
        // Delivered: each router instance has evicted the listing on the event of this commit.
        await until(async () => (await evicted()).every((count, index) => count > (before[index] ?? 0)), 5_000, `eviction of version ${version}`);
        evictedAt[version] = performance.now();
        // Reads run on, refilling the cache with this version before the next update.
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    } finally {
      writing = false;
      await Promise.all(readers);
    }
    const stale = reads.filter((read) => read.version < evictedAt.filter((at) => at <= read.startedAt).length - 1);
    expect(stale).toEqual([]);
    expect(reads.length).toBeGreaterThan(50);
    // The cache served reads in between (else this would prove nothing about it).
    expect(await counted(instances[0]!, 'router_entity_cache_lookups_total', { subgraph: 'catalog', outcome: 'hit' })).toBeGreaterThan(hitsBefore + 10);
    expect(Math.max(...reads.map((read) => read.version))).toBe(8);
  });

  it('caches a hinted root query field (Query.listing) and drops it with the listing on the next update', async () => {
    const LISTING = 'query($id: ID!) { listing(id: $id) { id title city } }';
    const read = (url: string) => graphqlRequest<{ listing: { id: string; title: string; city: string } }>(url, LISTING, { id: listingId });
    const first = await storedAfter(instances[0]!, 'catalog', () => read(routers[0]!));
    expect(first.errors).toBeUndefined();
    const calls = catalog.calls();
    // Either router, anonymous: the entry is PUBLIC, shared by every anonymous reader.
    expect(await read(routers[0]!)).toEqual(first);
    expect(await read(routers[1]!)).toEqual(first);
    expect(catalog.calls()).toBe(calls);

    const updated = await stack.query('mutation($id: ID!, $input: UpdateListingInput!) { updateListing(id: $id, input: $input) { title } }', { id: listingId, input: { title: 'Root-cached loft' } }, host.accessToken);
    expect(updated.errors).toBeUndefined();
    for (const url of routers) {
      const seen = await eventually(() => read(url), (data) => data.listing.title === 'Root-cached loft', 5_000);
      expect(seen.listing).toEqual({ id: listingId, title: 'Root-cached loft', city: 'Porto' });
    }
  });

  it('does not cache a root field whose answer has an entity it cannot name (no key selected), nor an unhinted one', async () => {
    for (const query of ['query($id: ID!) { listing(id: $id) { title } }', '{ listings(first: 1) { edges { node { id } } } }']) {
      await graphqlRequest(routers[0]!, query, { id: listingId });
      const calls = catalog.calls();
      const again = await graphqlRequest(routers[0]!, query, { id: listingId });
      expect(again.errors).toBeUndefined();
      expect(catalog.calls()).toBe(calls + 1);
    }
  });

  it("evicts a deleted user (accounts' user.deleted event): the host's erased name is not served from the cache", async () => {
    const tag = randomUUID().slice(0, 8);
    const leaving = await registerThroughRouter(stack, `cache-leaving-host-${tag}@e2e.example`, 'HOST');
    const ownListing = await createListingThroughRouter(stack, leaving, { title: 'Soon hostless', city: 'Braga', capacity: 2, pricePerNight: { amount: 5000, currency: 'EUR' } });
    // Listing.host is an entity fetch of User from accounts (PUBLIC, 60 s).
    const HOST_NAME = 'query($id: ID!) { listing(id: $id) { id host { id displayName } } }';
    const read = (url: string) => ask<{ listing: { host: { id: string; displayName: string } } }>(url, HOST_NAME, { id: ownListing }, guests[0]!);
    const first = await storedAfter(instances[0]!, 'accounts', () => read(routers[0]!));
    expect(first.errors).toBeUndefined();
    expect(first.data?.listing.host).toEqual({ id: leaving.userId, displayName: `cache-leaving-host-${tag}` });
    // Cached: neither router asks accounts again, so only an eviction can show the deletion.
    const calls = accounts.calls();
    expect(await read(routers[0]!)).toEqual(first);
    expect(await read(routers[1]!)).toEqual(first);
    expect(accounts.calls()).toBe(calls);

    const evictedBefore = await Promise.all(instances.map((router) => counted(router, 'router_entity_cache_evictions_total', { typename: 'User' })));
    const deleted = await stack.query('mutation($password: String!) { deleteAccount(password: $password) { id } }', { password: TEST_PASSWORD }, leaving.accessToken);
    expect(deleted.errors).toBeUndefined();
    for (const url of routers) {
      const seen = await eventually(() => read(url), (data) => data.listing.host.displayName === 'Deleted user', 5_000);
      expect(seen.listing.host).toEqual({ id: leaving.userId, displayName: 'Deleted user' });
    }
    // Evicted by the event on both instances, not expired (the entries' max age is 60 s).
    const evictedAfter = await Promise.all(instances.map((router) => counted(router, 'router_entity_cache_evictions_total', { typename: 'User' })));
    evictedAfter.forEach((after, index) => expect(after).toBeGreaterThan(evictedBefore[index]!));
  });

  describe("with the cache's own Redis (ENTITY_CACHE_REDIS_URL) stopped", () => {
    let cacheRedis: RunningRedis | undefined;
    let dataDir: string;
    let router: Router;
    let url: string;

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'entity-cache-redis-'));
      // Never the shared Redis: this one is ours to kill.
      cacheRedis = await startRedisServer({ port: await findFreePort(), dir: dataDir, appendOnly: false });
      ({ router, url } = await stack.startRouter({ CATALOG_URL: catalog.url, ENTITY_CACHE_REDIS_URL: cacheRedis.url, ENTITY_CACHE_REDIS_TIMEOUT_MS: '200' }));
    });
    afterAll(async () => {
      await cacheRedis?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('serves every read from the subgraphs, with current data, and counts the lookups as bypassed', async () => {
      const titleOf = async () => {
        const answer = await ask<{ booking: { listing: { title: string } } }>(url, BOOKING_WITH_LISTING, { id: bookingIds[0] }, guests[0]!);
        expect(answer.errors).toBeUndefined();
        return answer.data?.booking.listing.title;
      };
      // Up: the second read is a hit on the cache's own Redis.
      const current = await storedAfter(router, 'catalog', titleOf);
      const calls = catalog.calls();
      expect(await titleOf()).toBe(current);
      expect(catalog.calls()).toBe(calls);

      // Killed, as an outage kills it.
      cacheRedis?.process.kill('SIGKILL');
      await waitFor(() => cacheRedis?.process.exitCode !== null || cacheRedis.process.signalCode !== null, 5_000);
      const bypassedBefore = await counted(router, 'router_entity_cache_lookups_total', { subgraph: 'catalog', outcome: 'bypass' });
      const callsBefore = catalog.calls();
      for (let read = 0; read < 3; read += 1) expect(await titleOf()).toBe(current);
      expect(catalog.calls()).toBeGreaterThanOrEqual(callsBefore + 3);
      expect(await counted(router, 'router_entity_cache_lookups_total', { subgraph: 'catalog', outcome: 'bypass' })).toBeGreaterThanOrEqual(bypassedBefore + 3);

      // A write while the cache is down is seen at once: nothing stale was kept anywhere.
      const updated = await stack.query('mutation($id: ID!, $input: UpdateListingInput!) { updateListing(id: $id, input: $input) { title } }', { id: listingId, input: { title: 'Written while the cache was down' } }, host.accessToken);
      expect(updated.errors).toBeUndefined();
      expect(await titleOf()).toBe('Written while the cache was down');
    });
  });
});
