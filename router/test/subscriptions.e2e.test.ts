import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { appendFileSync, copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRouter, readRouterConfig } from '@booking/router';
import { SUBGRAPH_NAMES } from '@booking/runtime';
import { ApolloClient, gql, HttpLink, InMemoryCache } from '@apollo/client/core';
import { createClient as createSseClient } from 'graphql-sse';
import WebSocket from 'ws';
import { importJWK, SignJWT } from 'jose';
import {
  activeSigningKey,
  adminThroughRouter,
  connectRedis,
  connectSubscriptions,
  eventually,
  registerThroughRouter,
  startStack,
  waitUntilBookable,
  type Stack,
  TEST_SIGNING_SECRET,
  type TestSession,
  invoiceOfBooking,
  waitFor,
} from '@booking/testkit';

const WATCH = `subscription($id: ID!) {
  bookingUpdated(id: $id) { id status total { amount } listing { title } guest { displayName } invoice { status } }
}`;
type Watched = { bookingUpdated: { id: string; status: string; listing: { title: string }; guest: { displayName: string }; invoice: { status: string } | null } };


/** Federated subscriptions through the router with a real graphql-ws client. */
describe('subscriptions through the router (graphql-ws)', () => {
  let stack: Stack;
  let host: TestSession;
  let guest: TestSession;
  let listingId: string;
  let day = 0;

  beforeAll(async () => {
    stack = await startStack({ routerEnv: { MAX_SUBSCRIPTIONS_PER_CONNECTION: '2', MAX_SUBSCRIPTIONS: '400' } });
    host = await registerThroughRouter(stack, `host-${randomUUID()}@live.example`, 'HOST');
    guest = await registerThroughRouter(stack, `guest-${randomUUID()}@live.example`);
    const listing = await stack.query<{ createListing: { id: string } }>(
      `mutation { createListing(input: { title: "Live loft", city: "Porto", capacity: 2, pricePerNight: { amount: 8000, currency: "EUR" } }) { id } }`,
      {},
      host.accessToken,
    );
    listingId = listing.data!.createListing.id;
    await waitUntilBookable(stack, listingId, guest);
  });
  afterAll(() => stack?.stop());

  async function book(): Promise<string> {
    day += 2;
    const response = await stack.query<{ createBooking: { id: string } }>(
      `mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }`,
      {
        input: {
          listingId,
          startsAt: new Date(Date.UTC(2033, 0, day)).toISOString(),
          endsAt: new Date(Date.UTC(2033, 0, day + 1)).toISOString(),
          idempotencyKey: randomUUID(),
        },
      },
      guest.accessToken,
    );
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.createBooking.id;
  }

  const as = (session?: TestSession) =>
    connectSubscriptions(stack.routerUrl, session ? { authorization: `Bearer ${session.accessToken}` } : {});

  it('streams a booking’s changes enriched with fields from all four subgraphs', async () => {
    const id = await book();
    const invoiceId = await invoiceOfBooking(stack, id, guest);
    const connection = as(guest);
    try {
      const watched = connection.subscribe<Watched>(WATCH, { id });
      await waitFor(() => stack.router.subscriptions.openSubscriptions === 1);
      await stack.query(
        `mutation($id: ID!) { payInvoice(input: { invoiceId: $id, idempotencyKey: "live", card: { number: "4242424242424242", expMonth: 12, expYear: 2035, cvc: "123" } }) { id } }`,
        { id: invoiceId },
        guest.accessToken,
      );
      await waitFor(() => watched.results.some((result) => result.data?.bookingUpdated.status === 'CONFIRMED'));
      const confirmed = watched.results.find((result) => result.data?.bookingUpdated.status === 'CONFIRMED')!;
      expect(confirmed.errors).toBeUndefined();
      expect(confirmed.data).toEqual({
        bookingUpdated: {
          id,
          status: 'CONFIRMED',
          total: { amount: 8000 },
          listing: { title: 'Live loft' },
          guest: { displayName: expect.stringMatching(/^guest-/) },
          invoice: { status: 'PAID' },
        },
      });
    } finally {
      await connection.dispose();
    }
  });

  const cancel = (id: string) => stack.query(`mutation($id: ID!) { cancelBooking(id: $id) { status } }`, { id }, guest.accessToken);
  const watchedSubscriptions = () => stack.subgraphs.bookings.server.live.activeSubscriptions();

  it('serves Apollo Client over multipart HTTP subscriptions', async () => {
    const id = await book();
    const client = new ApolloClient({
      link: new HttpLink({ uri: stack.routerUrl, fetch, headers: { authorization: `Bearer ${guest.accessToken}` } }),
      cache: new InMemoryCache(),
    });
    const received: Watched[] = [];
    const subscription = client.subscribe<Watched>({ query: gql(WATCH), variables: { id } }).subscribe({
      next: (result) => {
        if (result.data) received.push(result.data);
      },
    });
    try {
      await waitFor(() => watchedSubscriptions() === 1);
      await cancel(id);
      await waitFor(() => received.some((data) => data.bookingUpdated.status === 'CANCELLED'));
      expect(received.find((data) => data.bookingUpdated.status === 'CANCELLED')?.bookingUpdated).toMatchObject({
        id,
        status: 'CANCELLED',
        listing: { title: 'Live loft' },
        guest: { displayName: expect.stringMatching(/^guest-/) },
      });
    } finally {
      subscription.unsubscribe();
      client.stop();
    }
    await waitFor(() => watchedSubscriptions() === 0, 2_000);
  });

  it('serves graphql-sse clients over Server-Sent Events', async () => {
    const id = await book();
    const client = createSseClient({ url: stack.routerUrl, headers: { authorization: `Bearer ${guest.accessToken}` }, retryAttempts: 0 });
    const received: Watched[] = [];
    const dispose = client.subscribe<Watched>(
      { query: WATCH, variables: { id } },
      { next: (result) => void (result.data && received.push(result.data)), error: () => undefined, complete: () => undefined },
    );
    try {
      await waitFor(() => watchedSubscriptions() === 1);
      await cancel(id);
      await waitFor(() => received.some((data) => data.bookingUpdated.status === 'CANCELLED'));
      expect(received.find((data) => data.bookingUpdated.status === 'CANCELLED')?.bookingUpdated.listing).toEqual({ title: 'Live loft' });
    } finally {
      dispose();
      client.dispose();
    }
    await waitFor(() => watchedSubscriptions() === 0, 2_000);
  });

  it('speaks Apollo’s multipart wire format exactly', async () => {
    const id = await book();
    const controller = new AbortController();
    const response = await fetch(stack.routerUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json',
        authorization: `Bearer ${guest.accessToken}`,
      },
      body: JSON.stringify({ query: 'subscription($id: ID!) { bookingUpdated(id: $id) { status } }', variables: { id } }),
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toBe('multipart/mixed;boundary="graphql";subscriptionSpec=1.0');
    const reader = response.body!.getReader();
    let text = '';
    await waitFor(() => watchedSubscriptions() === 1);
    await cancel(id);
    while (!text.includes('CANCELLED')) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += Buffer.from(chunk.value).toString('utf8');
    }
    expect(text).toContain('\r\n--graphql\r\ncontent-type: application/json\r\n\r\n{"payload":{"data":{"bookingUpdated":{"status":"CANCELLED"}}}}');
    controller.abort();
    await waitFor(() => watchedSubscriptions() === 0, 1_000);
  });

  it('streams availability (public) and invoices (their guest) from catalog and billing', async () => {
    const publicViewer = as();
    const guestViewer = as(guest);
    try {
      const availability = publicViewer.subscribe<{ availabilityChanged: { listingId: string; available: boolean } }>(
        'subscription($l: ID!) { availabilityChanged(listingId: $l) { listingId available startsAt endsAt } }',
        { l: listingId },
      );
      await waitFor(() => stack.subgraphs.catalog.server.live.activeSubscriptions() === 1);
      const id = await book();
      await waitFor(() => availability.results.some((result) => result.data?.availabilityChanged.available === false));
      const invoiceId = await invoiceOfBooking(stack, id, guest);
      const invoice = guestViewer.subscribe<{ invoiceUpdated: { status: string; booking: { id: string } } }>(
        'subscription($id: ID!) { invoiceUpdated(id: $id) { status amount { amount } booking { id } } }',
        { id: invoiceId },
      );
      await waitFor(() => stack.subgraphs.billing.server.live.activeSubscriptions() === 1);
      await cancel(id);
      await waitFor(() => availability.results.some((result) => result.data?.availabilityChanged.available === true));
      await waitFor(() => invoice.results.some((result) => result.data?.invoiceUpdated.status === 'VOID'));
      expect(invoice.results.find((result) => result.data?.invoiceUpdated.status === 'VOID')?.data?.invoiceUpdated.booking).toEqual({ id });
    } finally {
      await publicViewer.dispose();
      await guestViewer.dispose();
    }
  });

  it('delivers one booking’s events in commit order', async () => {
    const admin = await adminThroughRouter(stack);
    const id = await book();
    const invoiceId = await invoiceOfBooking(stack, id, guest);
    const connection = as(guest);
    try {
      const watched = connection.subscribe<Watched>(WATCH, { id });
      await waitFor(() => watchedSubscriptions() === 1);
      await stack.query(
        `mutation($id: ID!) { payInvoice(input: { invoiceId: $id, idempotencyKey: "order", card: { number: "4242424242424242", expMonth: 12, expYear: 2035, cvc: "123" } }) { id } }`,
        { id: invoiceId },
        guest.accessToken,
      );
      await eventually(
        () => stack.query<{ booking: { status: string } }>('query($id: ID!) { booking(id: $id) { status } }', { id }, guest.accessToken),
        (data) => data.booking.status === 'CONFIRMED',
      );
      await stack.query('mutation($id: ID!) { completeBooking(id: $id) { status } }', { id }, admin.accessToken);
      await waitFor(() => watched.results.some((result) => result.data?.bookingUpdated.status === 'COMPLETED'));
      const order = ['HELD', 'CONFIRMED', 'COMPLETED'];
      const ranks = watched.results.map((result) => order.indexOf(result.data!.bookingUpdated.status));
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
      expect(ranks[ranks.length - 1]).toBe(2);
    } finally {
      await connection.dispose();
    }
  });

  /** A real access token for the guest that expires in `seconds`. */
  async function shortLivedToken(seconds: number): Promise<string> {
    const key = await activeSigningKey(stack.subgraphs.accounts);
    return new SignJWT({ role: 'GUEST', scope: 'profile bookings:write invoices:pay' })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' })
      .setSubject(guest.userId)
      .setIssuer('booking-supergraph/accounts')
      .setAudience('booking-supergraph')
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
      .sign(await importJWK(key.privateJwk, 'ES256'));
  }

  it('ends streams when the token that opened them expires: close 4403 on WebSocket, an error part over HTTP', async () => {
    const id = await book();
    const token = await shortLivedToken(2);
    const socket = connectSubscriptions(stack.routerUrl, { authorization: `Bearer ${token}` });
    socket.subscribe(WATCH, { id });
    const response = await fetch(stack.routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed;subscriptionSpec=1.0', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: 'subscription($id: ID!) { bookingUpdated(id: $id) { status } }', variables: { id } }),
    });
    const closed = await socket.closed;
    expect(closed).toEqual({ code: 4403, reason: 'Forbidden: the access token has expired' });
    const text = await response.text();
    expect(text).toContain('{"payload":null,"errors":[{"message":"Unauthenticated: the access token has expired","extensions":{"code":"UNAUTHENTICATED"}}]}');
    expect(text.endsWith('\r\n--graphql--\r\n')).toBe(true);
    await socket.dispose();
    await waitFor(() => watchedSubscriptions() === 0, 1_000);
  });

  it('closes a socket that never sends connection_init (4408)', async () => {
    const socket = new WebSocket(stack.routerUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const code = await new Promise<number>((resolve) => socket.once('close', (closeCode) => resolve(closeCode)));
    expect(code).toBe(4408);
  });

  it('cuts off a client that stops reading, so its backlog cannot grow router memory without bound', async () => {
    const bulky = await stack.query<{ createListing: { id: string } }>(
      `mutation($d: String!) { createListing(input: { title: "Bulky", city: "Porto", capacity: 2, description: $d,
        pricePerNight: { amount: 1000, currency: "EUR" } }) { id } }`,
      { d: 'x'.repeat(5_000) },
      host.accessToken,
    );
    const bulkyId = bulky.data!.createListing.id;
    await waitUntilBookable(stack, bulkyId, guest);
    const strict = await createRouter(
      readRouterConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        ROUTER_SIGNING_SECRET: TEST_SIGNING_SECRET,
        MAX_SUBSCRIBER_BACKLOG_BYTES: String(64 * 1024),
        SUPERGRAPH_WATCH: 'false',
        ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, stack.subgraphs[name].graphqlUrl])),
      }),
    );
    const url = `${await strict.listen()}/graphql`;
    try {
      const requestBody = JSON.stringify({
        query: `subscription { myBookings { id listing { ${Array.from({ length: 24 }, (_, n) => `d${n}: description`).join(' ')} } } }`,
      });
      // Subscribes and then stops reading the body: TCP backpressure reaches the router.
      const request = httpRequest(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'multipart/mixed;subscriptionSpec=1.0', authorization: `Bearer ${guest.accessToken}` },
      });
      request.end(requestBody);
      const response = await new Promise<IncomingMessage>((resolve) => request.once('response', resolve));
      response.pause();
      await waitFor(() => strict.subscriptions.openSubscriptions === 1);
      // The same over WebSocket: a client that pauses its socket after subscribing.
      const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
      await new Promise<void>((resolve) => socket.once('open', () => resolve()));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${guest.accessToken}` } }));
      await new Promise<void>((resolve) => socket.once('message', () => resolve()));
      socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: JSON.parse(requestBody).query } }));
      await waitFor(() => strict.subscriptions.openSubscriptions === 2);
      socket.pause();
      let made = 0;
      // Until the HTTP client is cut off, and long enough that an unbounded queue would show.
      while ((strict.subscriptions.openSubscriptions > 1 || made < 400) && made < 3_000) {
        await Promise.all(
          Array.from({ length: 20 }, (_, n) => {
            const day = made + n;
            return stack.query(
              'mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }',
              {
                input: {
                  listingId: bulkyId,
                  startsAt: new Date(Date.UTC(2050, 0, 1) + day * 86_400_000).toISOString(),
                  endsAt: new Date(Date.UTC(2050, 0, 1) + day * 86_400_000 + 3_600_000).toISOString(),
                  idempotencyKey: `bulk-${day}`,
                },
              },
              guest.accessToken,
            );
          }),
        );
        made += 20;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // HTTP: cut off once its unsent bytes passed the limit.
      expect(strict.subscriptions.openSubscriptions).toBe(1);
      // WebSocket: graphql-ws waits for each send, so the router's bounded queue absorbed the
      // rest, dropping the oldest: on resuming, the client gets far fewer events than were made.
      let received = 0;
      socket.on('message', (data) => {
        if ((JSON.parse(String(data)) as { type: string }).type === 'next') received += 1;
      });
      socket.resume();
      let last = -1;
      while (received !== last) {
        last = received;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(received).toBeGreaterThan(0);
      // Some were dropped (bounded); the socket buffers carried the rest.
      expect(received).toBeLessThan(made);
      socket.close();
      response.resume();
      let text = '';
      for await (const chunk of response) text += String(chunk);
      expect(text).toContain('"payload":null,"errors":[{"message":"The client fell too far behind');
      expect(text).toContain('"code":"SLOW_CONSUMER"');
    } finally {
      await strict.close();
    }
  }, 120_000);

  it('limits subscriptions per connection', async () => {
    const id = await book();
    const connection = as(guest);
    try {
      const first = connection.subscribe(WATCH, { id });
      const second = connection.subscribe(WATCH, { id });
      const third = connection.subscribe(WATCH, { id });
      expect((await third.ended).error).toEqual([expect.objectContaining({ extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } })]);
      await waitFor(() => stack.router.subscriptions.openSubscriptions === 2);
      first.complete();
      await waitFor(() => stack.router.subscriptions.openSubscriptions === 1);
      const again = connection.subscribe(WATCH, { id });
      await waitFor(() => stack.router.subscriptions.openSubscriptions === 2);
      again.complete();
      second.complete();
    } finally {
      await connection.dispose();
    }
  });

  it('ends open streams with SCHEMA_RELOADED when the supergraph file changes, and serves new ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'supergraph-'));
    const path = join(dir, 'supergraph.graphql');
    copyFileSync(resolve(__dirname, '..', '..', 'schema', 'supergraph.graphql'), path);
    const reloading = await createRouter(
      readRouterConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        ROUTER_SIGNING_SECRET: TEST_SIGNING_SECRET,
        SUPERGRAPH_PATH: path,
        ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, stack.subgraphs[name].graphqlUrl])),
      }),
    );
    const url = `${await reloading.listen()}/graphql`;
    const connection = connectSubscriptions(url, { authorization: `Bearer ${guest.accessToken}` });
    try {
      const before = connection.subscribe<Watched>('subscription { myBookings { id status } }');
      await waitFor(() => reloading.subscriptions.openSubscriptions === 1);
      appendFileSync(path, '\n# reloaded\n');
      await before.ended;
      expect(before.results.at(-1)?.errors?.[0]).toMatchObject({ extensions: { code: 'SCHEMA_RELOADED' } });
      const after = connection.subscribe<{ myBookings: { id: string } }>('subscription { myBookings { id } }');
      await waitFor(() => reloading.subscriptions.openSubscriptions === 1);
      const id = await book();
      await waitFor(() => after.results.some((result) => result.data?.myBookings.id === id));
    } finally {
      await connection.dispose();
      await reloading.close();
    }
  });

  it('refuses anonymous callers and other guests, and closes on a bad token with 4403', async () => {
    const id = await book();
    const anonymous = as();
    // Refused before execution: graphql-ws answers with an `error` message.
    const outcome = await anonymous.subscribe(WATCH, { id }).ended;
    expect(outcome.error).toEqual([expect.objectContaining({ path: ['bookingUpdated'], extensions: { code: 'UNAUTHENTICATED' } })]);
    await anonymous.dispose();

    const other = await registerThroughRouter(stack, `other-${randomUUID()}@live.example`);
    const stranger = as(other);
    const denied = stranger.subscribe(WATCH, { id });
    await denied.ended;
    expect(denied.results[0]?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await stranger.dispose();

    const forged = connectSubscriptions(stack.routerUrl, { authorization: 'Bearer not.a.token' });
    forged.subscribe(WATCH, { id });
    expect((await forged.closed).code).toBe(4403);
    await forged.dispose();
  });

  it('keeps the client’s aliases, with and without fields from other subgraphs', async () => {
    const connection = as(guest);
    try {
      const mine = connection.subscribe<{ mine: { ref: string; state: string } }>('subscription { mine: myBookings { ref: id state: status } }');
      await waitFor(() => stack.router.subscriptions.openSubscriptions === 1);
      const id = await book();
      await waitFor(() => mine.results.some((result) => result.data?.mine.ref === id));
      expect(mine.results.find((result) => result.data?.mine.ref === id)?.data).toEqual({ mine: { ref: id, state: 'HELD' } });
      const watched = connection.subscribe<{ b: { s: string; l: { t: string } } }>(
        'subscription($id: ID!) { b: bookingUpdated(id: $id) { s: status l: listing { t: title } } }',
        { id },
      );
      await waitFor(() => stack.router.subscriptions.openSubscriptions === 2);
      await cancel(id);
      await waitFor(() => watched.results.some((result) => result.data?.b.s === 'CANCELLED'));
      expect(watched.results.find((result) => result.data?.b.s === 'CANCELLED')?.data).toEqual({ b: { s: 'CANCELLED', l: { t: 'Live loft' } } });
    } finally {
      await connection.dispose();
    }
  });

  it('never shares an upstream subscription between identities', async () => {
    const id = await book();
    const asGuest = as(guest);
    const asHost = as(host);
    try {
      asGuest.subscribe(WATCH, { id });
      asHost.subscribe(WATCH, { id });
      await waitFor(() => stack.router.subscriptions.openSubscriptions === 2);
      expect(stack.router.subscriptions.upstreamSubscriptions).toBe(2);
    } finally {
      await asGuest.dispose();
      await asHost.dispose();
    }
    await waitFor(() => stack.router.subscriptions.upstreamSubscriptions === 0);
  });

  it('leaves nothing open after 200 clients subscribe and leave, half by complete and half by dropping the socket', async () => {
    const id = await book();
    const clients = Array.from({ length: 200 }, () => as(guest));
    // Distinct operations (an alias each), so each has an upstream subscription of its own.
    const subscriptions = clients.map((client, index) => client.subscribe(`subscription($id: ID!) { c${index}: bookingUpdated(id: $id) { status } }`, { id }));
    await waitFor(() => stack.subgraphs.bookings.server.live.activeSubscriptions() === 200, 20_000);
    expect(stack.router.subscriptions.upstreamSubscriptions).toBe(200);
    const channel = `${stack.eventKeyPrefix}live:BOOKING_UPDATED:${id}`;
    const redis = connectRedis();
    try {
      expect(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]).toBe(1);
      subscriptions.slice(0, 100).forEach((subscription) => subscription.complete());
      clients.slice(100).forEach((client) => client.drop());
      await waitFor(
        () =>
          stack.router.subscriptions.openSubscriptions === 0 &&
          stack.router.upstream.openSockets === 0 &&
          stack.subgraphs.bookings.server.live.activeSubscriptions() === 0,
        1_000,
      );
      // graphql-redis-subscriptions drops the Redis channel with its last listener.
      const deadline = Date.now() + 1_000;
      while (((await redis.pubsub('NUMSUB', channel)) as [string, number])[1] !== 0) {
        if (Date.now() > deadline) throw new Error(`Redis channel ${channel} still subscribed`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      redis.disconnect();
      await Promise.all(clients.map((client) => client.dispose()));
    }
  });

  it('shares one upstream among identical subscriptions, and tears it down at once when clients complete or drop', async () => {
    const id = await book();
    const clients = Array.from({ length: 30 }, () => as(guest));
    const subscriptions = clients.map((client) => client.subscribe<Watched>(WATCH, { id }));
    // Thirty identical subscriptions of one identity share one upstream subscription.
    await waitFor(() => stack.router.subscriptions.openSubscriptions === 30);
    expect(stack.router.subscriptions.upstreamSubscriptions).toBe(1);
    await waitFor(() => stack.subgraphs.bookings.server.live.activeSubscriptions() === 1);
    subscriptions.slice(0, 15).forEach((subscription) => subscription.complete());
    clients.slice(15).forEach((client) => client.drop());
    await waitFor(
      () =>
        stack.router.subscriptions.openSubscriptions === 0 &&
        stack.router.upstream.openSockets === 0 &&
        stack.subgraphs.bookings.server.live.activeSubscriptions() === 0,
      1_000,
    );
    await Promise.all(clients.map((client) => client.dispose()));
  });
});
