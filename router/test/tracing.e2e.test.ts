import { randomBytes, randomUUID } from 'node:crypto';
import { type SubgraphName } from '@booking/runtime';
import {
  connectSubscriptions,
  eventually,
  findFreePort,
  killServiceProcesses,
  postGraphQL,
  graphqlRequestBody,
  registerThroughRouter,
  routerProcessEnv,
  SPAN_KIND,
  spanTree,
  startOtlpReceiver,
  startServiceProcess,
  startStack,
  TEST_SIGNING_SECRET,
  testRedisUrl,
  waitUntilBookable,
  type GraphQLResponse,
  type OtlpReceiver,
  type ReceivedSpan,
  type ServiceProcess,
  type Stack,
  type TestSession,
} from '@booking/testkit';

/**
 * Traces as an operator's collector receives them: the router, bookings and billing run as
 * their own processes with the standard OTEL_* variables pointing at an OTLP/HTTP receiver
 * (default protocol, http/protobuf), and a booking saga runs through the router. One trace
 * id must cover router → bookings → PostgreSQL → the outbox event → billing's handling of it
 * → … → the booking CONFIRMED.
 */
const GOOD_CARD = { number: '4242424242424242', expMonth: 12, expYear: 2035, cvc: '123' };
const DAY_MS = 24 * 60 * 60 * 1000;
const TRACED: readonly SubgraphName[] = ['bookings', 'billing'];

let receiver: OtlpReceiver;
let stack: Stack;
let guest: TestSession;
let listingId: string;
let router: ServiceProcess;
let routerUrl: string;
const processes: Partial<Record<SubgraphName, ServiceProcess>> = {};
const urls: Partial<Record<SubgraphName, string>> = {};

function otelEnv(): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    // The default sampler, spelled out: a trace with no parent is kept, and a caller's
    // `traceparent` decides (flags 01 kept, 00 dropped) in the router and, through the router's
    // own `traceparent`, in the subgraphs.
    OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    // Export at once, not every 5 s: the test waits for what arrives.
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
}

async function startSubgraphProcess(name: SubgraphName): Promise<void> {
  const port = await findFreePort();
  // The in-process instance gives its database, Redis keys and consumer group to the process.
  await stack.subgraphs[name].stop();
  const started = startServiceProcess(name, {
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    [`${name.toUpperCase()}_DATABASE_URL`]: stack.subgraphs[name].database.url,
    ROUTER_SIGNING_SECRET: TEST_SIGNING_SECRET,
    REDIS_URL: testRedisUrl(),
    EVENT_KEY_PREFIX: stack.eventKeyPrefix,
    ...otelEnv(),
  });
  processes[name] = started;
  await started.waitUntilReady(`http://127.0.0.1:${port}/ready`);
  urls[name] = `http://127.0.0.1:${port}/graphql`;
}

function call<Data>(query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GraphQLResponse<Data>> {
  return postGraphQL<Data>(routerUrl, graphqlRequestBody(query, variables), { authorization: `Bearer ${guest.accessToken}`, ...headers });
}

function isoDaysFromNow(days: number, hour = 15): string {
  const date = new Date(Date.now() + days * DAY_MS);
  date.setUTCHours(hour, 0, 0, 0);
  return date.toISOString();
}

/** A traced frontend: every request of one checkout carries the same trace id. */
function clientTraceparent(traceId: string): string {
  return `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
}

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  stack = await startStack();
  const host = await registerThroughRouter(stack, `host-${randomUUID()}@trace.example`, 'HOST');
  guest = await registerThroughRouter(stack, `guest-${randomUUID()}@trace.example`);
  const listing = await stack.query<{ createListing: { id: string } }>(
    `mutation { createListing(input: { title: "Traced loft", city: "Porto", capacity: 3,
      pricePerNight: { amount: 10000, currency: "EUR" }, cleaningFee: { amount: 2500, currency: "EUR" } }) { id } }`,
    {},
    host.accessToken,
  );
  listingId = listing.data!.createListing.id;
  await waitUntilBookable(stack, listingId, guest);
  for (const name of TRACED) await startSubgraphProcess(name);
  const port = await findFreePort();
  router = startServiceProcess('router', routerProcessEnv(stack, port, { subgraphUrls: urls, env: otelEnv() }));
  await router.waitUntilReady(`http://127.0.0.1:${port}/ready`);
  routerUrl = `http://127.0.0.1:${port}/graphql`;
}, 120_000);

afterAll(async () => {
  await router?.stop();
  for (const started of Object.values(processes)) await started?.stop();
  killServiceProcesses();
  await stack?.stop();
  await receiver?.close();
});

const BOOKING = 'query Booking($id: ID!) { booking(id: $id) { id status invoice { id status } } }';
type BookingView = { booking: { id: string; status: string; invoice: { id: string; status: string } | null } };

test('one trace id covers a booking saga: router → bookings → PostgreSQL → booking.held → billing → … → CONFIRMED', async () => {
  const traceId = randomBytes(16).toString('hex');
  const idempotencyKey = `trace-${randomUUID()}`;
  const created = await call<{ createBooking: { id: string } }>(
    'mutation CreateBooking($input: CreateBookingInput!) { createBooking(input: $input) { id status } }',
    { input: { listingId, startsAt: isoDaysFromNow(40), endsAt: isoDaysFromNow(42, 11), guests: 2, idempotencyKey } },
    { traceparent: clientTraceparent(traceId) },
  );
  const bookingId = created.data!.createBooking.id;
  const invoiced = await eventually(() => call<BookingView>(BOOKING, { id: bookingId }), (data) => data.booking.invoice !== null);
  const paid = await call<{ payInvoice: { status: string } }>(
    'mutation PayInvoice($input: PayInvoiceInput!) { payInvoice(input: $input) { id status } }',
    { input: { invoiceId: invoiced.booking.invoice!.id, idempotencyKey: randomUUID(), card: GOOD_CARD } },
    { traceparent: clientTraceparent(traceId) },
  );
  expect(paid.data?.payInvoice.status).toBe('SUCCEEDED');
  await eventually(() => call<BookingView>(BOOKING, { id: bookingId }), (data) => data.booking.status === 'CONFIRMED');

  const inTrace = (spans: readonly ReceivedSpan[]) => spans.filter((span) => span.traceId === traceId);
  const handled = (spans: readonly ReceivedSpan[], service: string, type: string) =>
    inTrace(spans).some((span) => span.service === service && span.kind === SPAN_KIND.consumer && span.attributes['event.type'] === type);
  const payInvoiceFetched = (spans: readonly ReceivedSpan[]) =>
    inTrace(spans).some(
      (span) => span.service === 'billing' && span.kind === SPAN_KIND.server && spans.some((fetched) => fetched.spanId === span.parentSpanId && fetched.attributes['subgraph.name'] === 'billing'),
    );
  const createBookingServed = (spans: readonly ReceivedSpan[]) =>
    inTrace(spans).some((span) => span.service === 'router' && span.kind === SPAN_KIND.server && span.attributes['graphql.operation.name'] === 'CreateBooking');
  // Every service exports on its own schedule (a busy machine delays some): wait until each
  // part of the saga asserted below has arrived, the last step being bookings applying
  // invoice.settled (the booking turns CONFIRMED).
  await receiver.waitFor(
    (spans) =>
      createBookingServed(spans) &&
      handled(spans, 'billing', 'booking.held') &&
      handled(spans, 'bookings', 'invoice.issued') &&
      payInvoiceFetched(spans) &&
      handled(spans, 'bookings', 'invoice.settled'),
  );
  const spans = inTrace(receiver.spans);
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  const parentOf = (span: ReceivedSpan) => byId.get(span.parentSpanId);
  process.stdout.write(`booking saga trace ${traceId}:\n${spanTree(receiver.spans, traceId)}\n`);

  // router SERVER span, named per the GraphQL conventions, with the HTTP ones.
  const serverSpan = spans.find((span) => span.service === 'router' && span.kind === SPAN_KIND.server && span.attributes['graphql.operation.name'] === 'CreateBooking');
  expect(serverSpan).toMatchObject({
    name: 'mutation CreateBooking',
    attributes: expect.objectContaining({ 'graphql.operation.type': 'mutation', 'http.request.method': 'POST', 'http.route': '/graphql', 'http.response.status_code': 200 }),
  });
  // → its CLIENT span to bookings → bookings' SERVER span continuing it → a PostgreSQL span.
  const fetch = spans.find((span) => span.kind === SPAN_KIND.client && span.attributes['subgraph.name'] === 'bookings' && ancestorIs(span, serverSpan!, parentOf));
  expect(fetch).toMatchObject({ service: 'router', name: 'subgraph bookings', attributes: expect.objectContaining({ 'http.response.status_code': 200 }) });
  const bookingsServer = spans.find((span) => span.service === 'bookings' && span.kind === SPAN_KIND.server && span.parentSpanId === fetch!.spanId);
  // Named after the operation the router's planner sent it (`{client operation}__{subgraph}__{n}`).
  expect(bookingsServer).toMatchObject({
    name: expect.stringMatching(/^mutation CreateBooking__bookings__\d+$/),
    attributes: expect.objectContaining({ 'graphql.operation.type': 'mutation', 'graphql.operation.name': expect.stringMatching(/^CreateBooking__bookings__\d+$/), 'http.route': '/graphql' }),
  });
  const inserts = spans.filter((span) => span.service === 'bookings' && span.scope.includes('pg') && ancestorIs(span, bookingsServer!, parentOf));
  expect(inserts.length).toBeGreaterThan(0);
  const outboxInsert = inserts.find((span) => String(span.attributes['db.query.text'] ?? span.attributes['db.statement']).includes('insert into outbox_events'));
  expect(outboxInsert).toBeDefined();
  // Query text with placeholders, never the values bound to them.
  for (const span of spans.filter((one) => one.scope.includes('pg'))) {
    expect(JSON.stringify(span.attributes)).not.toContain(idempotencyKey);
    expect(JSON.stringify(span.attributes)).not.toContain(bookingId);
  }

  // The outbox row kept that context: the relay's send, then billing's handling of booking.held,
  // with its own SQL and the invoice.issued it records, all in the same trace.
  const held = spans.find((span) => span.service === 'billing' && span.kind === SPAN_KIND.consumer && span.attributes['event.type'] === 'booking.held')!;
  const send = parentOf(held);
  expect(send).toMatchObject({ service: 'bookings', kind: SPAN_KIND.producer, attributes: expect.objectContaining({ 'event.type': 'booking.held' }) });
  expect(ancestorIs(send!, bookingsServer!, parentOf)).toBe(true);
  expect(spans.some((span) => span.service === 'billing' && span.scope.includes('pg') && ancestorIs(span, held, parentOf))).toBe(true);
  expect(handled(spans, 'bookings', 'invoice.issued')).toBe(true);
  // payInvoice (same client trace) → invoice.settled → bookings confirms.
  expect(payInvoiceFetched(spans)).toBe(true);
  expect(handled(spans, 'bookings', 'invoice.settled')).toBe(true);
});

test('a cache miss has parse, validate and plan spans under the request (each once); a repeat has none', async () => {
  const traceIds = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')];
  const query = `query Uncached${randomBytes(4).toString('hex')}($id: ID!) { booking(id: $id) { id } }`;
  for (const traceId of traceIds) await call(query, { id: randomUUID() }, { traceparent: clientTraceparent(traceId) });
  await receiver.waitFor((spans) => traceIds.every((traceId) => spans.some((span) => span.traceId === traceId && span.service === 'router' && span.kind === SPAN_KIND.server)));
  const names = (traceId: string) => receiver.spans.filter((span) => span.traceId === traceId && span.service === 'router').map((span) => span.name);
  expect(names(traceIds[0]!)).toEqual(expect.arrayContaining(['graphql.parse', 'graphql.validate', 'graphql.plan']));
  // The gate parses and validates a new text once; the executor takes its document as is.
  const count = (name: string) => names(traceIds[0]!).filter((spanName) => spanName === name).length;
  expect({ parse: count('graphql.parse'), validate: count('graphql.validate') }).toEqual({ parse: 1, validate: 1 });
  expect(names(traceIds[1]!)).not.toContain('graphql.parse');
  expect(names(traceIds[1]!)).not.toContain('graphql.plan');
});

test('every log line of one request carries its trace id and its span id', async () => {
  const traceId = randomBytes(16).toString('hex');
  const requestId = `trace-log-${randomUUID()}`;
  await call('query LoggedBooking($id: ID!) { booking(id: $id) { id } }', { id: randomUUID() }, { traceparent: clientTraceparent(traceId), 'x-request-id': requestId });
  const line = await router.waitForLine((logged) => logged.requestId === requestId && logged.msg === 'request');
  await receiver.waitFor((spans) => spans.some((span) => span.traceId === traceId && span.service === 'router' && span.kind === SPAN_KIND.server));
  const server = receiver.spans.find((span) => span.traceId === traceId && span.service === 'router' && span.kind === SPAN_KIND.server)!;
  expect(line).toMatchObject({ trace_id: traceId, span_id: server.spanId });
  // Every line that names this request names the same trace.
  const lines = router.lines.filter((logged) => logged.requestId === requestId);
  expect(lines.every((logged) => logged.trace_id === traceId)).toBe(true);
});

test('an unsampled request exports nothing anywhere, and its subgraph calls still carry its traceparent (sampled flag off)', async () => {
  const unsampled = randomBytes(16).toString('hex');
  const sampled = randomBytes(16).toString('hex');
  const query = 'query UnsampledBooking($id: ID!) { booking(id: $id) { id } }';
  await call(query, { id: randomUUID() }, { traceparent: `00-${unsampled}-${randomBytes(8).toString('hex')}-00` });
  // A sampled request after it: once its spans are in, the unsampled one's would be too.
  await call(query, { id: randomUUID() }, { traceparent: clientTraceparent(sampled) });
  await receiver.waitFor((spans) => spans.some((span) => span.traceId === sampled && span.service === 'bookings' && span.kind === SPAN_KIND.server));
  expect(receiver.spans.filter((span) => span.traceId === unsampled)).toEqual([]);
  // Had the router sent no traceparent, bookings would have started (and kept) a trace of its
  // own: every subgraph server span continues a router span.
  const subgraphServers = receiver.spans.filter((span) => span.service !== 'router' && span.kind === SPAN_KIND.server);
  expect(subgraphServers.length).toBeGreaterThan(0);
  expect(subgraphServers.filter((span) => span.parentSpanId === '')).toEqual([]);
});

test('a subscription: the upstream subscription is a span, and each event\'s completion a span linked to it', async () => {
  const connection = connectSubscriptions(routerUrl, { authorization: `Bearer ${guest.accessToken}` });
  try {
    const watched = connection.subscribe<{ availabilityChanged: { listingId: string; available: boolean } }>(
      'subscription WatchAvailability($l: ID!) { availabilityChanged(listingId: $l) { listingId available } }',
      { l: listingId },
    );
    // Each hold changes the listing's availability; holds go on until the open stream sees one.
    for (let day = 80; watched.results.length === 0 && day < 100; day += 2) {
      await call('mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }', {
        input: { listingId, startsAt: isoDaysFromNow(day), endsAt: isoDaysFromNow(day + 1, 11), guests: 1, idempotencyKey: randomUUID() },
      });
      await watched.nth(1, 1_000).catch(() => undefined);
    }
    expect((await watched.nth(1)).data?.availabilityChanged).toEqual({ listingId, available: false });
    watched.complete();
  } finally {
    await connection.dispose();
  }
  const upstream = (spans: readonly ReceivedSpan[]) =>
    spans.find((span) => span.service === 'router' && span.name === 'subscribe catalog' && span.attributes['graphql.operation.name'] === 'WatchAvailability');
  const eventOf = (spans: readonly ReceivedSpan[], opened: ReceivedSpan) =>
    spans.find((span) => span.name === 'subscription event' && span.links.some((link) => link.spanId === opened.spanId));
  await receiver.waitFor((spans) => {
    const opened = upstream(spans);
    return opened !== undefined && eventOf(spans, opened) !== undefined;
  });
  const opened = upstream(receiver.spans)!;
  expect(opened).toMatchObject({ kind: SPAN_KIND.client, attributes: expect.objectContaining({ 'subgraph.name': 'catalog', 'graphql.operation.type': 'subscription' }) });
  // An event starts a trace of its own (a subscription may outlive any trace), linked to the upstream.
  expect(eventOf(receiver.spans, opened)).toMatchObject({ parentSpanId: '', kind: SPAN_KIND.internal });
});

test("the subgraph's server span of an upstream subscription continues the router's (its context goes in the subscribe message)", async () => {
  const created = await call<{ createBooking: { id: string } }>('mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }', {
    input: { listingId, startsAt: isoDaysFromNow(120), endsAt: isoDaysFromNow(121, 11), guests: 1, idempotencyKey: randomUUID() },
  });
  const bookingId = created.data!.createBooking.id;
  const connection = connectSubscriptions(routerUrl, { authorization: `Bearer ${guest.accessToken}` });
  try {
    const watched = connection.subscribe<{ bookingUpdated: { id: string; status: string } }>('subscription WatchBooking($id: ID!) { bookingUpdated(id: $id) { id status } }', { id: bookingId });
    // The cancellation is the event; it is published once the subscription is in place.
    for (let attempt = 0; watched.results.length === 0 && attempt < 20; attempt += 1) {
      if (attempt === 0) await new Promise((settled) => setTimeout(settled, 300));
      if (attempt === 0) await call('mutation($id: ID!) { cancelBooking(id: $id) { id } }', { id: bookingId });
      await watched.nth(1, 500).catch(() => undefined);
    }
    expect((await watched.nth(1)).data?.bookingUpdated).toEqual({ id: bookingId, status: 'CANCELLED' });
    watched.complete();
  } finally {
    await connection.dispose();
  }
  const upstream = (spans: readonly ReceivedSpan[]) =>
    spans.find((span) => span.service === 'router' && span.name === 'subscribe bookings' && span.attributes['graphql.operation.name'] === 'WatchBooking');
  // The socket is shared by every subscription of one identity: no per-operation header, so the
  // router's span context travels in the subscribe message's extensions.
  const servedBy = (spans: readonly ReceivedSpan[], opened: ReceivedSpan) =>
    spans.find((span) => span.service === 'bookings' && span.kind === SPAN_KIND.server && span.parentSpanId === opened.spanId);
  await receiver.waitFor((spans) => {
    const opened = upstream(spans);
    return opened !== undefined && servedBy(spans, opened) !== undefined;
  });
  const opened = upstream(receiver.spans)!;
  expect(servedBy(receiver.spans, opened)).toMatchObject({
    traceId: opened.traceId,
    name: expect.stringMatching(/^subscription WatchBooking__bookings__\d+$/),
    attributes: expect.objectContaining({ 'graphql.operation.type': 'subscription', 'graphql.operation.name': expect.stringMatching(/^WatchBooking__bookings__\d+$/) }),
  });
});

function ancestorIs(span: ReceivedSpan, ancestor: ReceivedSpan, parentOf: (span: ReceivedSpan) => ReceivedSpan | undefined): boolean {
  for (let current = parentOf(span); current; current = parentOf(current)) if (current.spanId === ancestor.spanId) return true;
  return false;
}
