import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  connectSubscriptions,
  findFreePort,
  invoiceOfBooking,
  prometheusTool,
  promtoolProblems,
  registerThroughRouter,
  startPrometheus,
  startStack,
  waitFor,
  waitUntilBookable,
  type RunningPrometheus,
  type Stack,
  type TestSession,
} from '@booking/testkit';

const promtool = prometheusTool('promtool');
const prometheus = prometheusTool('prometheus');
const withPromtool = promtool ? describe : describe.skip;
const withPrometheus = prometheus ? describe : describe.skip;

const DAY_MS = 24 * 60 * 60 * 1000;
const SERVICES = ['router', 'accounts', 'catalog', 'bookings', 'billing'] as const;
type Service = (typeof SERVICES)[number];

function baseUrlOf(stack: Stack, service: Service): string {
  return service === 'router' ? new URL(stack.routerUrl).origin : stack.subgraphs[service].baseUrl;
}

async function scrape(stack: Stack, service: Service): Promise<{ contentType: string | null; text: string }> {
  const response = await fetch(`${baseUrlOf(stack, service)}/metrics`);
  expect(response.status).toBe(200);
  return { contentType: response.headers.get('content-type'), text: await response.text() };
}

/** The booking flow through the router, with named operations (their names become label values). */
async function bookAndPay(stack: Stack, guest: TestSession, listingId: string, day: number): Promise<string> {
  const startsAt = new Date(Date.now() + day * DAY_MS);
  startsAt.setUTCHours(15, 0, 0, 0);
  const endsAt = new Date(startsAt.getTime() + 2 * DAY_MS);
  const booked = await stack.query<{ createBooking: { id: string } }>(
    `mutation CreateBooking($input: CreateBookingInput!) { createBooking(input: $input) { id status } }`,
    { input: { listingId, startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(), guests: 2, idempotencyKey: randomUUID() } },
    guest.accessToken,
  );
  if (!booked.data) throw new Error(JSON.stringify(booked.errors));
  const bookingId = booked.data.createBooking.id;
  const invoiceId = await invoiceOfBooking(stack, bookingId, guest);
  const paid = await stack.query(
    `mutation PayInvoice($id: ID!) { payInvoice(input: { invoiceId: $id, idempotencyKey: "${randomUUID()}", card: { number: "4242424242424242", expMonth: 12, expYear: 2035, cvc: "123" } }) { id status } }`,
    { id: invoiceId },
    guest.accessToken,
  );
  if (!paid.data) throw new Error(JSON.stringify(paid.errors));
  return bookingId;
}

async function prepareListing(stack: Stack): Promise<{ guest: TestSession; listingId: string }> {
  const host = await registerThroughRouter(stack, `host-${randomUUID()}@metrics.example`, 'HOST');
  const guest = await registerThroughRouter(stack, `guest-${randomUUID()}@metrics.example`);
  const listing = await stack.query<{ createListing: { id: string } }>(
    `mutation CreateListing { createListing(input: { title: "Metrics loft", city: "Porto", capacity: 3,
      pricePerNight: { amount: 10000, currency: "EUR" }, cleaningFee: { amount: 2500, currency: "EUR" } }) { id } }`,
    {},
    host.accessToken,
  );
  const listingId = listing.data!.createListing.id;
  await waitUntilBookable(stack, listingId, guest);
  return { guest, listingId };
}

withPromtool('promtool', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { bookings: { HOLD_EXPIRY_INTERVAL_MS: '200' } } });
  });
  afterAll(() => stack?.stop());

  it('finds no problem in any service’s /metrics, after a booking flow filled its series', async () => {
    const { guest, listingId } = await prepareListing(stack);
    await bookAndPay(stack, guest, listingId, 10);
    // A refusal and a client-invented operation name, so those series exist too.
    await stack.query('query { __typename ');
    await stack.query(`query Invented${randomUUID().replace(/-/g, '')} { __typename }`);
    for (const service of SERVICES) {
      const { contentType, text } = await scrape(stack, service);
      expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect({ service, problems: promtoolProblems(promtool!, text) }).toEqual({ service, problems: '' });
      // prom-client's default process metrics on every service.
      expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    }
    const router = (await scrape(stack, 'router')).text;
    expect(router).toMatch(/^router_requests_total\{operation_name="CreateBooking",operation_type="mutation",outcome="ok"\} 1$/m);
    expect(router).toMatch(/^router_subgraph_request_duration_seconds_count\{subgraph="bookings",outcome="ok"\} \d+$/m);
    expect(router).toMatch(/^router_operation_cache_lookups_total\{cache="gate_verdict",result="miss"\} \d+$/m);
    const bookings = (await scrape(stack, 'bookings')).text;
    expect(bookings).toMatch(/^outbox_unpublished_events\{subgraph="bookings"\} \d+$/m);
    expect(bookings).toMatch(/^event_consumer_lag\{subgraph="bookings",stream="billing",group="bookings"\} \d+$/m);
    expect(bookings).toMatch(/^event_dead_letters\{subgraph="bookings",stream="billing"\} 0$/m);
    expect(bookings).toMatch(/^db_pool_connections\{subgraph="bookings",state="used"\} \d+$/m);
    expect(bookings).toMatch(/^hold_expiry_runs_total\{outcome="idle"\} [1-9]\d*$/m);
  });

  it("finds no problem in the entity cache's series of a router with ENTITY_CACHE=on, after hits, misses and an eviction", async () => {
    const { router, url } = await stack.startRouter({ ENTITY_CACHE: 'on' });
    const { guest, listingId } = await prepareListing(stack);
    await bookAndPay(stack, guest, listingId, 20);
    // The host's public profile, fetched from accounts as an entity: nothing of the flow evicts it.
    const read = () =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'query HostOfListing($id: ID!) { listing(id: $id) { host { displayName } } }', variables: { id: listingId } }),
      });
    await read();
    await read();
    const exposition = () => router.metrics?.registry.metrics() ?? Promise.resolve('');
    // The booking flow's events evict its listing (asynchronously, after commit).
    let text = await exposition();
    for (const deadline = Date.now() + 5_000; !/^router_entity_cache_evictions_total\{typename="Listing"\} [1-9]/m.test(text) && Date.now() < deadline; text = await exposition()) {
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    }
    expect(promtoolProblems(promtool!, text)).toBe('');
    expect(text).toMatch(/^router_entity_cache_lookups_total\{subgraph="accounts",outcome="miss"\} [1-9]\d*$/m);
    expect(text).toMatch(/^router_entity_cache_lookups_total\{subgraph="accounts",outcome="hit"\} [1-9]\d*$/m);
    expect(text).toMatch(/^router_entity_cache_evictions_total\{typename="Listing"\} [1-9]\d*$/m);
  });

  it('passes promtool check rules on infra/observability/alerts.yml', () => {
    const result = spawnSync(promtool!, ['check', 'rules', resolve(__dirname, '..', '..', 'infra', 'observability', 'alerts.yml')], { encoding: 'utf8' });
    expect({ status: result.status, output: `${result.stdout}${result.stderr}` }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('answers anything but GET and HEAD on /metrics with 405', async () => {
    const response = await fetch(`${baseUrlOf(stack, 'router')}/metrics`, { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });
});

withPrometheus('a real Prometheus scraping the stack', () => {
  let stack: Stack;
  let server: RunningPrometheus;
  beforeAll(async () => {
    stack = await startStack();
    const targets = Object.fromEntries(SERVICES.map((service) => [service, new URL(baseUrlOf(stack, service)).host]));
    server = await startPrometheus(prometheus!, targets);
  });
  afterAll(async () => {
    await server?.stop();
    await stack?.stop();
  });

  /** Waits until the PromQL query returns a sample whose value `accept`s (Prometheus scrapes every second). */
  async function until(promql: string, accept: (value: number) => boolean, timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      const samples = await server.query(promql);
      last = samples;
      const value = samples[0] ? Number(samples[0].value[1]) : undefined;
      if (value !== undefined && accept(value)) return value;
      if (Date.now() > deadline) throw new Error(`${promql} never matched; last answer ${JSON.stringify(last)}`);
      await new Promise((wait) => setTimeout(wait, 250));
    }
  }

  it('sees a booking flow move the router’s and subgraphs’ series, and a held subscription', async () => {
    await until('count(up == 1)', (value) => value === SERVICES.length);
    const { guest, listingId } = await prepareListing(stack);
    const bookingId = await bookAndPay(stack, guest, listingId, 20);

    await until('sum(router_requests_total{job="router",operation_name="CreateBooking",operation_type="mutation",outcome="ok"})', (value) => value >= 1);
    await until('sum(router_requests_total{job="router",operation_name="PayInvoice",outcome="ok"})', (value) => value >= 1);
    for (const subgraph of ['accounts', 'catalog', 'bookings', 'billing']) {
      await until(`sum(router_subgraph_request_duration_seconds_count{job="router",subgraph="${subgraph}"})`, (value) => value >= 1);
      await until(`sum(subgraph_requests_total{job="${subgraph}"})`, (value) => value >= 1);
    }
    // Over the whole run (a rate needs two scrapes' worth of increase, which a test this short may not have).
    await until('histogram_quantile(0.99, sum by (le) (router_request_duration_seconds_bucket{job="router"}))', (value) => value > 0);
    await until('count(outbox_unpublished_events{job="bookings"})', (value) => value === 1);
    await until('max(outbox_oldest_unpublished_age_seconds{job="billing"})', (value) => value >= 0);
    await until('count(event_consumer_lag{job="billing",stream="bookings",group="billing"})', (value) => value === 1);
    await until('count(event_consumer_pending{job="bookings",stream="billing"})', (value) => value === 1);
    await until('sum(db_pool_connections{job="bookings"})', (value) => value >= 1);

    const connection = connectSubscriptions(stack.routerUrl, { authorization: `Bearer ${guest.accessToken}` });
    try {
      connection.subscribe('subscription WatchBooking($id: ID!) { bookingUpdated(id: $id) { id status } }', { id: bookingId });
      await waitFor(() => stack.router.subscriptions.openSubscriptions === 1);
      await until('router_subscriptions_open{job="router"}', (value) => value === 1);
    } finally {
      await connection.dispose();
    }
    await until('router_subscriptions_open{job="router"}', (value) => value === 0);
    await until('sum(router_requests_total{job="router",operation_name="WatchBooking",operation_type="subscription"})', (value) => value === 1);
  });
});

describe('METRICS=false', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ routerEnv: { METRICS: 'false' } });
  });
  afterAll(() => stack?.stop());

  it('neither records nor serves metrics, and the router answers as before', async () => {
    expect(stack.router.metrics).toBeNull();
    expect((await fetch(`${baseUrlOf(stack, 'router')}/metrics`)).status).toBe(404);
    const answer = await stack.query<{ __typename: string }>('{ __typename }');
    expect(answer.data).toEqual({ __typename: 'Query' });
  });
});

describe('METRICS_PORT', () => {
  let stack: Stack;
  let routerMetricsPort: number;
  let catalogMetricsPort: number;
  beforeAll(async () => {
    [routerMetricsPort, catalogMetricsPort] = [await findFreePort(), await findFreePort()];
    stack = await startStack({ routerEnv: { METRICS_PORT: String(routerMetricsPort) }, config: { catalog: { metricsPort: catalogMetricsPort } } });
  });
  afterAll(() => stack?.stop());

  it('serves /metrics on its own port only, so the public port does not', async () => {
    await stack.query('query Ping { __typename }');
    expect((await fetch(`${baseUrlOf(stack, 'router')}/metrics`)).status).toBe(404);
    expect((await fetch(`${baseUrlOf(stack, 'catalog')}/metrics`)).status).toBe(404);
    const router = await fetch(`http://127.0.0.1:${routerMetricsPort}/metrics`);
    expect(router.status).toBe(200);
    expect(router.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await router.text()).toMatch(/^router_requests_total\{operation_name="Ping",operation_type="query",outcome="ok"\} 1$/m);
    const catalog = await fetch(`http://127.0.0.1:${catalogMetricsPort}/metrics`);
    expect(catalog.status).toBe(200);
    expect(await catalog.text()).toContain('subgraph_requests_total');
    // Nothing else is served there: not the API, not the probes.
    expect((await fetch(`http://127.0.0.1:${routerMetricsPort}/graphql`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${routerMetricsPort}/health`)).status).toBe(404);
    // The other subgraphs keep it on their own port (the default).
    expect((await fetch(`${baseUrlOf(stack, 'bookings')}/metrics`)).status).toBe(200);
  });
});
