import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { createRouter, readRouterConfig, type Router } from '@booking/router';
import { SUBGRAPH_NAMES } from '@booking/runtime';
import {
  connectSubscriptions,
  findFreePort,
  openMultipartSubscription,
  registerThroughRouter,
  startServiceProcess,
  startStack,
  testRedisUrl,
  TEST_SIGNING_SECRET,
  waitFor,
  waitUntilBookable,
  type OpenSubscription,
  type ServiceProcess,
  type Stack,
  type SubscriptionConnection,
  type TestSession,
} from '@booking/testkit';

/**
 * A bookings subgraph process killed and started again under live subscriptions (a rolling
 * restart, a crash): the router resubscribes for SUBSCRIPTION_RESUBSCRIBE_GRACE_MS, the resumed
 * subscription yields the booking as it is now, and no client's stream ends. The booking is
 * cancelled while the process is down (through the stack's own bookings instance on the same
 * database), so its live signal reaches no subscriber: only the resumed subscription's current
 * state can tell the clients.
 */
type Event = { bookingUpdated: { status: string } };

let stack: Stack;
let guest: TestSession;
let listingId: string;
let bookingsPort: number;
let bookings: ServiceProcess | undefined;
let bookingsUp = false;

async function startBookingsProcess(): Promise<void> {
  if (bookingsUp) return;
  bookingsUp = true;
  bookings = startServiceProcess('bookings', {
    PORT: String(bookingsPort),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    BOOKINGS_DATABASE_URL: stack.subgraphs.bookings.database.url,
    ROUTER_SIGNING_SECRET: TEST_SIGNING_SECRET,
    REDIS_URL: testRedisUrl(),
    EVENT_KEY_PREFIX: stack.eventKeyPrefix,
  });
  await bookings.waitUntilReady(`http://127.0.0.1:${bookingsPort}/ready`);
}

async function killBookings(): Promise<void> {
  // SIGKILL right behind SIGTERM: no goodbye on the router's socket.
  bookingsUp = false;
  await bookings?.stop(0);
}

/** Once every upstream subscription has reached the subgraph, the subgraph process dies. */
async function killBookingsUnder(router: Router, upstreams: number): Promise<void> {
  await waitFor(() => router.subscriptions.openSubscriptions > 0 && router.subscriptions.upstreamSubscriptions === upstreams);
  await new Promise((resolve) => setTimeout(resolve, 500));
  await killBookings();
}

async function metricsOf(routerUrl: string): Promise<string> {
  return (await fetch(routerUrl.replace(/\/graphql$/, '/metrics'))).text();
}

async function startRouter(graceMs: number): Promise<{ router: Router; url: string }> {
  const router = await createRouter(
    readRouterConfig({
      PORT: '0',
      LOG_LEVEL: process.env.RESUME_DEBUG ? 'debug' : 'silent',
      ROUTER_SIGNING_SECRET: TEST_SIGNING_SECRET,
      ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, stack.subgraphs[name].graphqlUrl])),
      BOOKINGS_URL: `http://127.0.0.1:${bookingsPort}/graphql`,
      SUBSCRIPTION_RESUBSCRIBE_GRACE_MS: String(graceMs),
      MAX_SUBSCRIPTIONS_PER_USER: '1000',
    }),
  );
  return { router, url: `${await router.listen()}/graphql` };
}

async function book(key: string, day: number): Promise<string> {
  const booked = await stack.query<{ createBooking: { id: string } }>(
    `mutation($l: ID!, $s: DateTimeISO!, $e: DateTimeISO!, $k: String!) { createBooking(input: { listingId: $l, startsAt: $s, endsAt: $e, idempotencyKey: $k }) { id } }`,
    { l: listingId, s: `2035-03-${String(day).padStart(2, '0')}T15:00:00Z`, e: `2035-03-${String(day + 1).padStart(2, '0')}T11:00:00Z`, k: key },
    guest.accessToken,
  );
  if (!booked.data) throw new Error(JSON.stringify(booked.errors));
  return booked.data.createBooking.id;
}

/** Ten distinct operations (so ten upstream subscriptions), each shared by its subscribers. */
function watchQuery(id: string, variant: number): string {
  return `subscription Watch${variant} { bookingUpdated(id: "${id}") { status } }`;
}

interface Multipart {
  readonly response: IncomingMessage;
  text: string;
  ended: boolean;
}

async function openMultipart(url: string, query: string): Promise<Multipart> {
  const response = await openMultipartSubscription(url, query, guest.accessToken);
  const stream: Multipart = { response, text: '', ended: false };
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => (stream.text += chunk));
  response.on('end', () => (stream.ended = true));
  return stream;
}

/** Counts TCP connections to a port (in place of the dead subgraph): the router's attempts. */
async function countConnections(port: number): Promise<{ count: () => number; close: () => Promise<void> }> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    count += 1;
    sockets.add(socket);
    // Refused at once, as a subgraph that is not up yet would be.
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    count: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

beforeAll(async () => {
  stack = await startStack();
  const host = await registerThroughRouter(stack, `host-${randomUUID()}@resume.example`, 'HOST');
  guest = await registerThroughRouter(stack, `guest-${randomUUID()}@resume.example`);
  const listing = await stack.query<{ createListing: { id: string } }>(
    `mutation { createListing(input: { title: "Restart loft", city: "Braga", capacity: 2, pricePerNight: { amount: 7000, currency: "EUR" } }) { id } }`,
    {},
    host.accessToken,
  );
  listingId = listing.data!.createListing.id;
  await waitUntilBookable(stack, listingId, guest);
  bookingsPort = await findFreePort();
  await startBookingsProcess();
}, 120_000);

afterAll(async () => {
  await bookings?.stop();
  await stack?.stop();
});

describe('live subscriptions across a subgraph restart', () => {
  it('keeps 200 streams (graphql-ws and multipart) open through a kill and restart, each ending up with the final state', async () => {
    const id = await book('resume-200', 2);
    const { router, url } = await startRouter(30_000);
    const connections: SubscriptionConnection[] = [];
    const subscriptions: OpenSubscription<Event>[] = [];
    const multiparts: Multipart[] = [];
    try {
      const headers = { authorization: `Bearer ${guest.accessToken}` };
      for (let c = 0; c < 4; c += 1) connections.push(connectSubscriptions(url, headers));
      for (let i = 0; i < 180; i += 1) subscriptions.push(connections[i % 4]!.subscribe<Event>(watchQuery(id, i % 10)));
      for (let i = 0; i < 20; i += 1) multiparts.push(await openMultipart(url, watchQuery(id, i % 10)));
      await waitFor(() => router.subscriptions.openSubscriptions === 200);
      await killBookingsUnder(router, 10);
      // Changed while the process is down: its live signal reaches no subscriber.
      const cancelled = await stack.query('mutation($id: ID!) { cancelBooking(id: $id) { status } }', { id }, guest.accessToken);
      expect(cancelled).toMatchObject({ data: { cancelBooking: { status: 'CANCELLED' } } });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await startBookingsProcess();

      await waitFor(
        () =>
          subscriptions.every((subscription) => subscription.results.at(-1)?.data?.bookingUpdated.status === 'CANCELLED') &&
          multiparts.every((multipart) => multipart.text.includes('"status":"CANCELLED"')),
        20_000,
      );
      for (const subscription of subscriptions) {
        expect(subscription.results.every((result) => result.errors === undefined)).toBe(true);
      }
      const outcomes = await Promise.race([
        Promise.any(subscriptions.map((subscription) => subscription.ended.then(() => 'a stream ended'))),
        new Promise((resolve) => setTimeout(() => resolve('all open'), 300)),
      ]);
      expect(outcomes).toBe('all open');
      expect(multiparts.filter((multipart) => multipart.ended)).toHaveLength(0);
      expect(router.subscriptions.openSubscriptions).toBe(200);

      const metrics = await metricsOf(url);
      expect(metrics).toMatch(/router_upstream_subscription_drops_total\{subgraph="bookings"\} 10/);
      expect(metrics).toMatch(/router_upstream_resubscriptions_total\{subgraph="bookings",outcome="resumed"\} 10/);
    } finally {
      multiparts.forEach((multipart) => multipart.response.destroy());
      await Promise.all(connections.map((connection) => connection.dispose()));
      await router.close();
      await startBookingsProcess();
    }
  }, 90_000);

  it('tells clients SUBGRAPH_UNAVAILABLE and ends their streams once the grace period is over', async () => {
    const id = await book('resume-gone', 6);
    const { router, url } = await startRouter(1_500);
    const connection = connectSubscriptions(url, { authorization: `Bearer ${guest.accessToken}` });
    try {
      const watching = [0, 1, 2].map((variant) => connection.subscribe<Event>(watchQuery(id, variant)));
      const multipart = await openMultipart(url, watchQuery(id, 3));
      await killBookingsUnder(router, 4);
      const killedAt = Date.now();
      await Promise.all(watching.map((subscription) => subscription.ended));
      expect(Date.now() - killedAt).toBeGreaterThanOrEqual(1_400);
      for (const subscription of watching) {
        expect(subscription.results.at(-1)?.errors?.[0]).toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'bookings' } });
      }
      await waitFor(() => multipart.ended);
      expect(multipart.text).toContain('SUBGRAPH_UNAVAILABLE');
      await waitFor(() => router.subscriptions.openSubscriptions === 0 && router.upstream.openSockets === 0);
      const metrics = await metricsOf(url);
      expect(metrics).toMatch(/router_upstream_resubscriptions_total\{subgraph="bookings",outcome="gave_up"\} 4/);
      expect(metrics).toMatch(/router_upstream_resubscriptions_total\{subgraph="bookings",outcome="failed"\} [1-9]/);
    } finally {
      await connection.dispose();
      await router.close();
      await startBookingsProcess();
    }
  }, 60_000);

  it('ends the stream with the subgraph\'s error when it refuses the resubscribe (the booking is gone), without retrying', async () => {
    const id = await book('resume-gone-row', 14);
    const { router, url } = await startRouter(30_000);
    const connection = connectSubscriptions(url, { authorization: `Bearer ${guest.accessToken}` });
    try {
      const watching = connection.subscribe<Event>(watchQuery(id, 0));
      await killBookingsUnder(router, 1);
      // Gone while the subgraph was down (straight from its database, as a purge would).
      await stack.subgraphs.bookings.server.database.em.fork().getConnection().execute('delete from bookings where id = ?', [id]);
      await startBookingsProcess();
      const outcome = await Promise.race([watching.ended.then(() => 'ended'), new Promise((resolve) => setTimeout(() => resolve('still open'), 15_000))]);
      expect(outcome).toBe('ended');
      expect(watching.results.at(-1)?.errors?.[0]).toMatchObject({ message: expect.stringContaining('not a booking you may watch'), extensions: { code: 'FORBIDDEN' } });
      await waitFor(() => router.subscriptions.openSubscriptions === 0 && router.upstream.openSockets === 0);
      const metrics = await metricsOf(url);
      expect(metrics).toMatch(/router_upstream_resubscriptions_total\{subgraph="bookings",outcome="refused"\} 1/);
    } finally {
      await connection.dispose();
      await router.close();
      await startBookingsProcess();
    }
  }, 60_000);

  it('stops resubscribing when the client leaves during the grace period', async () => {
    const id = await book('resume-leave', 10);
    const { router, url } = await startRouter(30_000);
    const connection = connectSubscriptions(url, { authorization: `Bearer ${guest.accessToken}` });
    let counter: Awaited<ReturnType<typeof countConnections>> | undefined;
    try {
      const watching = connection.subscribe<Event>(watchQuery(id, 0));
      await killBookingsUnder(router, 1);
      // The port answers again, but refuses every socket: the router keeps trying.
      counter = await countConnections(bookingsPort);
      await waitFor(() => (counter?.count() ?? 0) >= 2, 10_000);
      watching.complete();
      await waitFor(() => router.subscriptions.openSubscriptions === 0 && router.subscriptions.upstreamSubscriptions === 0 && router.upstream.openSockets === 0);
      const afterLeaving = counter.count();
      // Longer than the backoff's longest step: an attempt still scheduled would show.
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      expect(counter.count()).toBe(afterLeaving);
      expect(watching.results).toEqual([]);
    } finally {
      await counter?.close();
      await connection.dispose();
      await router.close();
      await startBookingsProcess();
    }
  }, 60_000);
  it('ends streams still waiting for their subgraph when the router shuts down, leaving no resubscribe behind', async () => {
    const id = await book('resume-shutdown', 18);
    const { router, url } = await startRouter(30_000);
    let counter: Awaited<ReturnType<typeof countConnections>> | undefined;
    let closed = false;
    try {
      const multipart = await openMultipart(url, watchQuery(id, 0));
      await killBookingsUnder(router, 1);
      counter = await countConnections(bookingsPort);
      await waitFor(() => (counter?.count() ?? 0) >= 1, 10_000);
      await router.close();
      closed = true;
      await waitFor(() => multipart.ended);
      // Like every stream at shutdown: subscribe again, to another router (which resubscribes).
      expect(multipart.text).toContain('"code":"SERVICE_RESTARTING"');
      const afterClose = counter.count();
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      expect(counter.count()).toBe(afterClose);
    } finally {
      await counter?.close();
      if (!closed) await router.close();
      await startBookingsProcess();
    }
  }, 60_000);
});
