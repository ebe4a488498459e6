import { randomUUID } from 'node:crypto';
import {
  countingForward,
  eventually,
  graphqlRequest,
  registerThroughRouter,
  startStack,
  waitUntilBookable,
  type CountingForward,
  type RegisteredSession,
  type Stack,
} from '@booking/testkit';

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
  let routers: string[];
  let host: RegisteredSession;
  let guests: RegisteredSession[];
  let listingId: string;
  const bookingIds: string[] = [];

  const ask = <Data = Record<string, unknown>>(url: string, query: string, variables: Record<string, unknown>, session: RegisteredSession) =>
    graphqlRequest<Data>(url, query, variables, { authorization: `Bearer ${session.accessToken}` });

  beforeAll(async () => {
    stack = await startStack({ routerEnv: { ENTITY_CACHE: 'on' } });
    catalog = await countingForward(stack.subgraphs.catalog.graphqlUrl);
    routers = [(await stack.startRouter({ CATALOG_URL: catalog.url })).url, (await stack.startRouter({ CATALOG_URL: catalog.url })).url];
    const tag = randomUUID().slice(0, 8);
    host = await registerThroughRouter(stack, `cache-host-${tag}@e2e.example`, 'HOST');
    guests = [
      await registerThroughRouter(stack, `cache-guest-a-${tag}@e2e.example`),
      await registerThroughRouter(stack, `cache-guest-b-${tag}@e2e.example`),
    ];
    const created = await stack.query<{ createListing: { id: string } }>(
      'mutation($input: CreateListingInput!) { createListing(input: $input) { id } }',
      { input: { title: 'Cached loft', city: 'Porto', capacity: 4, pricePerNight: { amount: 9000, currency: 'EUR' } } },
      host.accessToken,
    );
    if (!created.data) throw new Error(`createListing failed: ${JSON.stringify(created.errors)}`);
    listingId = created.data.createListing.id;
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
  });

  it("serves a second identical entity fetch of a listing from Redis: catalog is not called again", async () => {
    const before = catalog.calls();
    const first = await ask<{ booking: { listing: { title: string } } }>(routers[0]!, BOOKING_WITH_LISTING, { id: bookingIds[0] }, guests[0]!);
    expect(first.errors).toBeUndefined();
    expect(first.data?.booking.listing).toEqual({ id: listingId, title: 'Cached loft', city: 'Porto' });
    const afterFirst = catalog.calls();
    expect(afterFirst).toBeGreaterThan(before);
    const second = await ask(routers[0]!, BOOKING_WITH_LISTING, { id: bookingIds[0] }, guests[0]!);
    expect(second).toEqual(first);
    expect(catalog.calls()).toBe(afterFirst);
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
});
