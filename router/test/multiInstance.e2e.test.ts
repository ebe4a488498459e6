import { randomUUID } from 'node:crypto';
import { createRouter, readRouterConfig, type Router } from '@booking/router';
import { SUBGRAPH_NAMES } from '@booking/runtime';
import {
  connectSubscriptions,
  registerThroughRouter,
  startStack,
  startSubgraph,
  TEST_SIGNING_SECRET,
  waitFor,
  waitUntilBookable,
  type RunningSubgraph,
  type Stack,
  type TestSession,
} from '@booking/testkit';

/**
 * Two router processes' worth of routers and two bookings instances on one database: an update
 * committed through one instance reaches subscribers on every router, once each.
 */
describe('subscriptions across several router and bookings instances', () => {
  let stack: Stack;
  let bookingsB: RunningSubgraph;
  let routerB: Router;
  let routerBUrl: string;
  let guest: TestSession;
  let listingId: string;

  beforeAll(async () => {
    stack = await startStack();
    bookingsB = await startSubgraph('bookings', {
      sharedDatabase: stack.subgraphs.bookings.database,
      eventKeyPrefix: stack.eventKeyPrefix,
    });
    routerB = await createRouter(
      readRouterConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        ROUTER_SIGNING_SECRET: TEST_SIGNING_SECRET,
        ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, stack.subgraphs[name].graphqlUrl])),
        BOOKINGS_URL: bookingsB.graphqlUrl,
        // Instance B goes away for good in the last test: its subscribers hear so soon after.
        SUBSCRIPTION_RESUBSCRIBE_GRACE_MS: '500',
      }),
    );
    routerBUrl = `${await routerB.listen()}/graphql`;
    const host = await registerThroughRouter(stack, `host-${randomUUID()}@multi.example`, 'HOST');
    guest = await registerThroughRouter(stack, `guest-${randomUUID()}@multi.example`);
    const listing = await stack.query<{ createListing: { id: string } }>(
      `mutation { createListing(input: { title: "Twin loft", city: "Faro", capacity: 2, pricePerNight: { amount: 5000, currency: "EUR" } }) { id } }`,
      {},
      host.accessToken,
    );
    listingId = listing.data!.createListing.id;
    await waitUntilBookable(stack, listingId, guest);
  });

  afterAll(async () => {
    await routerB?.close();
    await bookingsB?.stop();
    await stack?.stop();
  });

  it('delivers each event once to subscribers on either router, whichever bookings instance committed it', async () => {
    const booked = await stack.query<{ createBooking: { id: string } }>(
      `mutation($l: ID!) { createBooking(input: { listingId: $l, startsAt: "2034-01-01T15:00:00Z", endsAt: "2034-01-03T11:00:00Z", idempotencyKey: "twin" }) { id } }`,
      { l: listingId },
      guest.accessToken,
    );
    const id = booked.data!.createBooking.id;
    const headers = { authorization: `Bearer ${guest.accessToken}` };
    const viaA = connectSubscriptions(stack.routerUrl, headers);
    const viaB = connectSubscriptions(routerBUrl, headers);
    const query = 'subscription($id: ID!) { bookingUpdated(id: $id) { status listing { title } } }';
    type Event = { bookingUpdated: { status: string; listing: { title: string } } };
    const onA = viaA.subscribe<Event>(query, { id });
    const onB = viaB.subscribe<Event>(query, { id });
    try {
      await waitFor(() => stack.subgraphs.bookings.server.live.activeSubscriptions() === 1 && bookingsB.server.live.activeSubscriptions() === 1);
      // Committed through router B and bookings instance B.
      const cancelled = await fetch(routerBUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: 'mutation($id: ID!) { cancelBooking(id: $id) { status } }', variables: { id } }),
      });
      expect(await cancelled.json()).toEqual({ data: { cancelBooking: { status: 'CANCELLED' } } });
      const cancelledOn = (subscription: typeof onA) =>
        subscription.results.filter((result) => result.data?.bookingUpdated.status === 'CANCELLED').length;
      await waitFor(() => cancelledOn(onA) === 1 && cancelledOn(onB) === 1);
      // Give a duplicate the time to show up; none may.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect([cancelledOn(onA), cancelledOn(onB)]).toEqual([1, 1]);
      expect(onB.results.at(-1)?.data?.bookingUpdated.listing).toEqual({ title: 'Twin loft' });
    } finally {
      await viaA.dispose();
      await viaB.dispose();
    }
  });

  // Runs last: it stops bookings instance B for good.
  it('tells subscribers when their upstream subgraph goes away, instead of hanging', async () => {
    const viaB = connectSubscriptions(routerBUrl, { authorization: `Bearer ${guest.accessToken}` });
    const mine = viaB.subscribe<{ myBookings: { id: string } }>('subscription { myBookings { id } }');
    try {
      await waitFor(() => bookingsB.server.live.activeSubscriptions() === 1);
      await bookingsB.stop();
      const outcome = await Promise.race([
        mine.ended.then(() => 'ended'),
        new Promise((resolve) => setTimeout(() => resolve('hung'), 5_000)),
      ]);
      expect(outcome).toBe('ended');
      expect(mine.results.at(-1)?.errors?.[0]).toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'bookings' } });
      await waitFor(() => routerB.subscriptions.openSubscriptions === 0 && routerB.upstream.openSockets === 0);
    } finally {
      await viaB.dispose();
    }
  });
});
