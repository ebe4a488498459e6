import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { routerCallSigner } from '@booking/runtime';
import {
  connectSubscriptions,
  findFreePort,
  killServiceProcesses,
  routerProcessEnv,
  startServiceProcess,
  startStack,
  TEST_SIGNING_SECRET,
  testRedisUrl,
  waitFor,
  type GraphQLResponse,
  type ServiceProcess,
  type Stack,
} from '@booking/testkit';

/**
 * Graceful drain (README "Restarts: what clients see"), on real processes: a router, then a
 * subgraph, gets SIGTERM under concurrent query load. /ready fails first while everything is
 * still served, the listener closes, requests in flight finish with full answers (one of them
 * is deliberately still sending its body when the listener closes), open multipart and SSE
 * streams end with a SERVICE_RESTARTING final part in their own framing, graphql-ws sockets are
 * closed with 1012, and the process exits 0 within SHUTDOWN_DRAIN_MS + SHUTDOWN_DEADLINE_MS.
 */
const DRAIN_MS = 1_500;
const DEADLINE_MS = 8_000;
/**
 * Node's default: a keep-alive connection whose last response ended during shutdown must be
 * closed at once, not left to idle this long (it would hold every exit back by as much).
 */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const SHUTDOWN = { SHUTDOWN_DRAIN_MS: String(DRAIN_MS), SHUTDOWN_DEADLINE_MS: String(DEADLINE_MS) };
const LISTINGS = '{ listings(city: "Kyoto") { edges { node { id title } } } }';
const AVAILABILITY = 'subscription($l: ID!) { availabilityChanged(listingId: $l) { listingId available } }';
/** Through the router: bookings (root) and catalog (each booking's listing), so both subgraphs serve every request. */
const BOOKINGS_WITH_LISTINGS = '{ bookings(first: 5) { edges { node { status listing { title } } } } }';

let stack: Stack;
let listingId: string;
let token: string;

beforeAll(async () => {
  stack = await startStack({ seedDemo: true });
  const listings = await stack.query<{ listings: { edges: { node: { id: string } }[] } }>(LISTINGS);
  listingId = listings.data!.listings.edges[0]!.node.id;
  const login = await stack.query<{ login: { accessToken: string } }>('mutation($input: LoginInput!) { login(input: $input) { accessToken } }', {
    input: { email: 'alice@example.com', password: 'demo-password' },
  });
  token = login.data!.login.accessToken;
}, 120_000);

afterAll(async () => {
  killServiceProcesses();
  await stack?.stop();
});

interface Answer {
  readonly startedAt: number;
  readonly status: number | string;
  readonly body?: GraphQLResponse;
}

/** Clients asking over and over until `until()` says stop; every answer with when its request started. */
async function load(url: string, query: string, until: () => boolean, headers: Record<string, string> = {}): Promise<Answer[]> {
  const answers: Answer[] = [];
  const client = async () => {
    while (!until()) {
      const startedAt = Date.now();
      try {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
        answers.push({ startedAt, status: response.status, body: (await response.json()) as GraphQLResponse });
      } catch (error) {
        answers.push({ startedAt, status: String((error as Error).cause ?? error) });
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, client));
  return answers;
}

/** Answers to requests started before `before` that were not a full 200 with data and no errors. */
function failuresAmong(answers: Answer[], before: number): Answer[] {
  return answers.filter((answer) => answer.startedAt < before && (answer.status !== 200 || !answer.body?.data || answer.body.errors !== undefined));
}

interface RawStream {
  readonly response: IncomingMessage;
  text: string;
  readonly ended: Promise<void>;
}

/** A multipart or SSE subscription as its clients open it, its raw text kept. */
async function openStream(url: string, accept: string, body: unknown): Promise<RawStream> {
  const request = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', accept } });
  request.end(JSON.stringify(body));
  const response = await new Promise<IncomingMessage>((resolve, reject) => request.once('response', resolve).once('error', reject));
  expect(response.statusCode).toBe(200);
  response.setEncoding('utf8');
  const stream: RawStream = { response, text: '', ended: new Promise<void>((resolve) => response.once('end', resolve)) };
  response.on('data', (chunk: string) => (stream.text += chunk));
  return stream;
}

/**
 * A POST whose headers and first half of body are sent now and the rest when `finish` is
 * called: a request the server has begun to read, in flight across the listener's close.
 */
function halfSentRequest(url: string, body: string, headers: Record<string, string> = {}): { finish(): Promise<{ status: number; body: GraphQLResponse }> } {
  const bytes = Buffer.from(body);
  const request: ClientRequest = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(bytes.length), ...headers } });
  const answered = new Promise<IncomingMessage>((resolve, reject) => request.once('response', resolve).once('error', reject));
  // A test that fails before `finish` leaves it to be cut at shutdown: not an unhandled rejection.
  answered.catch(() => undefined);
  request.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
  return {
    async finish() {
      request.end(bytes.subarray(Math.floor(bytes.length / 2)));
      const response = await answered;
      let text = '';
      response.setEncoding('utf8');
      for await (const chunk of response) text += chunk as string;
      return { status: response.statusCode ?? 0, body: JSON.parse(text) as GraphQLResponse };
    },
  };
}

/** Waits until the router's /metrics counts `count` open subscriptions. */
async function openSubscriptionsReach(base: string, count: number): Promise<void> {
  let metrics = '';
  const poll = setInterval(() => void fetch(`${base}/metrics`).then(async (response) => (metrics = await response.text())), 50);
  try {
    await waitFor(() => new RegExp(`^router_subscriptions_open ${count}$`, 'm').test(metrics));
  } finally {
    clearInterval(poll);
  }
}

function exitOf(service: ServiceProcess): Promise<{ code: number | null; at: number }> {
  return new Promise((resolve) => service.child.once('exit', (code) => resolve({ code, at: Date.now() })));
}

const draining = (line: { msg: string }) => line.msg === 'draining: /ready answers 503 until shutdown';
const stoppedAccepting = (line: { msg: string }) => line.msg === 'stopped accepting connections; finishing in-flight requests';

/** A SIGTERM given to `service` while clients send `query` to `url` over and over. */
interface SigtermUnderLoad {
  readonly sigtermAt: number;
  /** Every answer, once the load has stopped (half way through the drain). */
  readonly answers: Promise<Answer[]>;
  readonly exited: Promise<{ code: number | null; at: number }>;
}

async function sigtermUnderLoad(service: ServiceProcess, url: string, query: string, headers: Record<string, string> = {}): Promise<SigtermUnderLoad> {
  let stopLoad = false;
  const answers = load(url, query, () => stopLoad, headers);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const exited = exitOf(service);
  const sigtermAt = Date.now();
  service.child.kill('SIGTERM');
  // Load goes on into the drain: a load balancer would still send some before it notices.
  setTimeout(() => (stopLoad = true), DRAIN_MS / 2);
  await service.waitForLine(draining);
  return { sigtermAt, answers, exited };
}

/** No request started before the load stopped failed; the process exited 0 in time, nothing cut by the deadline. */
async function expectDrained(service: ServiceProcess, { sigtermAt, answers, exited }: SigtermUnderLoad): Promise<void> {
  const all = await answers;
  expect(all.filter((answer) => answer.startedAt < sigtermAt).length).toBeGreaterThan(10);
  expect(failuresAmong(all, sigtermAt + DRAIN_MS / 2)).toEqual([]);
  const exit = await exited;
  expect(exit.code).toBe(0);
  expect(exit.at - sigtermAt).toBeLessThan(DRAIN_MS + DEADLINE_MS);
  expect(exit.at - sigtermAt).toBeLessThan(DRAIN_MS + KEEP_ALIVE_TIMEOUT_MS);
  // Everything finished by itself: nothing was left for the deadline to cut.
  expect(service.lines.filter((line) => line.msg === 'shutdown deadline passed: cutting the connections still open')).toEqual([]);
}

describe('a router process on SIGTERM', () => {
  test('fails /ready, finishes every request in flight, ends multipart and SSE streams with SERVICE_RESTARTING, closes WebSockets with 1012, exits 0', async () => {
    const port = await findFreePort();
    const base = `http://127.0.0.1:${port}`;
    const url = `${base}/graphql`;
    const router = startServiceProcess('router', routerProcessEnv(stack, port, { env: SHUTDOWN }));
    await router.waitUntilReady(`${base}/ready`);

    const subscribe = { query: AVAILABILITY, variables: { l: listingId } };
    const multipart = await openStream(url, 'multipart/mixed;subscriptionSpec=1.0', subscribe);
    const sse = await openStream(url, 'text/event-stream', subscribe);
    const socket = connectSubscriptions(url);
    socket.subscribe(AVAILABILITY, { l: listingId });
    await openSubscriptionsReach(base, 3);
    const inFlight = halfSentRequest(url, JSON.stringify({ query: LISTINGS }));

    const shutdown = await sigtermUnderLoad(router, url, LISTINGS);
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'draining' });

    await router.waitForLine(stoppedAccepting, DRAIN_MS + 5_000);
    // The listener is closed: a new connection is refused...
    await expect(fetch(`${base}/health`)).rejects.toThrow();
    // ...but the request whose body was still coming is answered in full.
    const finished = await inFlight.finish();
    expect(finished.status).toBe(200);
    expect(finished.body.errors).toBeUndefined();
    expect(finished.body.data).toMatchObject({ listings: { edges: expect.arrayContaining([expect.objectContaining({ node: expect.objectContaining({ id: listingId }) })]) } });

    expect(await socket.closed).toEqual({ code: 1012, reason: 'router restarting: reconnect' });
    await Promise.all([multipart.ended, sse.ended]);
    const restarting = { message: expect.stringContaining('restarting'), extensions: { code: 'SERVICE_RESTARTING' } };
    // Multipart: the last part is a payload with the coded error, then the closing boundary.
    expect(multipart.text.endsWith('\r\n--graphql--\r\n')).toBe(true);
    const parts = multipart.text.split('\r\n--graphql').slice(1, -1);
    const lastPart = parts[parts.length - 1]!.split('\r\n\r\n')[1]!;
    expect(JSON.parse(lastPart)).toEqual({ payload: { errors: [restarting] } });
    // SSE: a `next` event with the coded error, then `complete`.
    const events = sse.text.split('\n\n').filter((event) => event.startsWith('event:'));
    expect(events.slice(-1)).toEqual(['event: complete\ndata:']);
    const lastNext = events[events.length - 2]!;
    expect(lastNext.startsWith('event: next\ndata: ')).toBe(true);
    expect(JSON.parse(lastNext.slice('event: next\ndata: '.length))).toEqual({ errors: [restarting] });

    await expectDrained(router, shutdown);
    await socket.dispose();
  }, 60_000);
});

describe('a subgraph process on SIGTERM', () => {
  test('fails /ready, finishes every request in flight (through the router and direct), closes the router’s socket with 1012, exits 0', async () => {
    // The in-process catalog gives its database to the process.
    await stack.subgraphs.catalog.stop();
    const catalogPort = await findFreePort();
    const catalogBase = `http://127.0.0.1:${catalogPort}`;
    const catalog = startServiceProcess('catalog', {
      PORT: String(catalogPort),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      CATALOG_DATABASE_URL: stack.subgraphs.catalog.database.url,
      ROUTER_SIGNING_SECRET: TEST_SIGNING_SECRET,
      REDIS_URL: testRedisUrl(),
      EVENT_KEY_PREFIX: stack.eventKeyPrefix,
      ...SHUTDOWN,
    });
    await catalog.waitUntilReady(`${catalogBase}/ready`);
    const routerPort = await findFreePort();
    const routerBase = `http://127.0.0.1:${routerPort}`;
    // Retries off: a request that succeeds here did so on its first call to catalog.
    const router = startServiceProcess('router', routerProcessEnv(stack, routerPort, { subgraphUrls: { catalog: `${catalogBase}/graphql` }, env: { SUBGRAPH_RETRIES: '0' } }));
    await router.waitUntilReady(`${routerBase}/ready`);
    try {
      // The router's upstream socket to catalog, for availabilityChanged.
      const socket = connectSubscriptions(`${routerBase}/graphql`);
      const watching = socket.subscribe(AVAILABILITY, { l: listingId });
      await openSubscriptionsReach(routerBase, 1);
      // A call to catalog as the router makes it, still sending its body when the listener closes.
      const direct = JSON.stringify({ query: '{ listing(id: "' + listingId + '") { title } }' });
      const inFlight = halfSentRequest(`${catalogBase}/graphql`, direct, routerCallSigner(TEST_SIGNING_SECRET, null).request('catalog', direct));

      const shutdown = await sigtermUnderLoad(catalog, `${routerBase}/graphql`, BOOKINGS_WITH_LISTINGS, { authorization: `Bearer ${token}` });
      const ready = await fetch(`${catalogBase}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'not ready', problems: ['shutdown: draining: the service is shutting down'] });

      await catalog.waitForLine(stoppedAccepting, DRAIN_MS + 5_000);
      const finished = await inFlight.finish().catch((error: unknown) => {
        throw new Error(`${String(error)}\n${catalog.output()}`);
      });
      expect(finished.status).toBe(200);
      expect(finished.body).toEqual({ data: { listing: { title: expect.any(String) } } });

      // The router heard 1012 on its upstream socket and resubscribes (its client's stream stays open).
      await router.waitForLine((line) => line.msg === 'upstream subscription dropped; resubscribing' && line.subgraph === 'catalog', DRAIN_MS + 5_000);
      const dropped = router.lines.find((line) => line.msg === 'upstream subscription dropped; resubscribing')!;
      expect(dropped.reason).toBe('socket closed (1012)');
      expect(watching.results.filter((result) => result.errors)).toEqual([]);

      await expectDrained(catalog, shutdown);
      await socket.dispose();
    } finally {
      await router.stop();
      await catalog.stop();
    }
  }, 90_000);
});

