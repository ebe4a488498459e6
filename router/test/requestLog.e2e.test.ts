import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import WebSocket from 'ws';
import {
  connectSubscriptions,
  findFreePort,
  graphqlRequest,
  killServiceProcesses,
  LOG_LEVELS,
  registerThroughRouter,
  routerProcessEnv,
  startServiceProcess,
  startStack,
  waitFor,
  waitUntilBookable,
  type LogLine,
  type RegisteredSession,
  type ServiceProcess,
  type Stack,
} from '@booking/testkit';

/**
 * The router as its own process (`router/dist/main.js`) beside a test stack's subgraphs, its
 * stdout read as an operator's log collector reads it: one line per request, subscriptions
 * logged when they start and end, subgraph 4xx answers as warnings, nothing sensitive.
 */
let stack: Stack;
let router: ServiceProcess;
let routerUrl: string;

async function startRouterProcess(extraEnv: Record<string, string> = {}): Promise<{ process: ServiceProcess; url: string }> {
  const port = await findFreePort();
  const started = startServiceProcess('router', routerProcessEnv(stack, port, { env: extraEnv }));
  const base = `http://127.0.0.1:${port}`;
  await started.waitUntilReady(`${base}/ready`);
  return { process: started, url: `${base}/graphql` };
}

function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(routerUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
}

const requestLine = (requestId: string) => (line: LogLine) => line.requestId === requestId && line.msg === 'request';

/**
 * Sends one request and returns every line the router wrote from then until the line of a
 * later request (lines are written in order, so by then all of the first one's are out).
 */
async function linesOf(target: ServiceProcess, url: string, requestId: string, body: unknown, headers: Record<string, string> = {}): Promise<LogLine[]> {
  const from = target.lines.length;
  await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...headers }, body: JSON.stringify(body) });
  await target.waitForLine(requestLine(requestId));
  const marker = `after-${requestId}`;
  await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': marker }, body: JSON.stringify({ query: '{ __typename }' }) });
  await target.waitForLine(requestLine(marker));
  return target.lines.slice(from).filter((line) => line.requestId !== marker);
}const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

beforeAll(async () => {
  stack = await startStack({ seedDemo: true });
  ({ process: router, url: routerUrl } = await startRouterProcess());
});
afterAll(async () => {
  await router?.stop();
  killServiceProcesses();
  await stack?.stop();
});

describe('/ready', () => {
  test('answers 200 once the supergraph is planned, and reports what it rests on; /health stays 200', async () => {
    const base = routerUrl.replace(/\/graphql$/, '');
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', subgraphs: 4, revocations: 'current', service: 'router' });
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  test('is not logged per request (probes every few seconds would drown the log)', async () => {
    const base = routerUrl.replace(/\/graphql$/, '');
    const response = await fetch(`${base}/ready`, { headers: { 'x-request-id': 'probe-not-logged' } });
    expect(response.status).toBe(200);
    await post({ query: '{ __typename }' }, { 'x-request-id': 'after-probe' });
    await router.waitForLine(requestLine('after-probe'));
    expect(router.lines.some((line) => line.requestId === 'probe-not-logged')).toBe(false);
  });
});

describe('request log', () => {
  test('one info line per request: its id (taken from x-request-id and returned), operation, outcome, duration, client address', async () => {
    const response = await post(
      { query: 'query KyotoTitles { listings(city: "Kyoto") { edges { node { title } } } }' },
      { 'x-request-id': 'test-request-0001' },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('test-request-0001');
    const line = await router.waitForLine(requestLine('test-request-0001'));
    expect(line).toMatchObject({
      level: LOG_LEVELS.info,
      service: 'router',
      transport: 'POST',
      operationName: 'KyotoTitles',
      operationType: 'query',
      status: 200,
      outcome: 'ok',
      clientAddress: expect.stringContaining('127.0.0.1'),
    });
    expect(line.errorCodes).toBeUndefined();
    expect(typeof line.durationMs).toBe('number');
    expect(router.lines.filter((logged) => logged.requestId === 'test-request-0001')).toHaveLength(1);
  });

  test('a malformed x-request-id is replaced by a generated one, which is returned', async () => {
    const response = await post({ query: '{ __typename }' }, { 'x-request-id': 'not a valid id; {"injected":true}' });
    const generated = response.headers.get('x-request-id') ?? '';
    expect(generated).toMatch(UUID);
    await router.waitForLine(requestLine(generated));
    expect(router.output()).not.toContain('injected');
  });

  test('GET (the gateway path) and mutations are logged with their type; errors with their codes', async () => {
    const get = await fetch(`${routerUrl}?query=${encodeURIComponent('query ViaGet { __typename }')}`, {
      headers: { 'apollo-require-preflight': 'true', 'x-request-id': 'test-get-0001' },
    });
    expect(get.status).toBe(200);
    expect(await router.waitForLine(requestLine('test-get-0001'))).toMatchObject({ transport: 'GET', operationName: 'ViaGet', operationType: 'query', outcome: 'ok' });

    await post({ query: 'query Mine { bookings(first: 1) { edges { node { id } } } }' }, { 'x-request-id': 'test-anon-0001' });
    expect(await router.waitForLine(requestLine('test-anon-0001'))).toMatchObject({
      operationName: 'Mine',
      operationType: 'query',
      status: 200,
      outcome: 'error',
      errorCodes: ['UNAUTHENTICATED'],
    });

    const invalid = await post({ query: '{ noSuchField }' }, { 'x-request-id': 'test-invalid-0001' });
    expect(invalid.status).toBe(400);
    expect(await router.waitForLine(requestLine('test-invalid-0001'))).toMatchObject({ status: 400, outcome: 'error', errorCodes: ['GRAPHQL_VALIDATION_FAILED'] });

    await post(
      { query: 'mutation SignIn($input: LoginInput!) { login(input: $input) { accessToken } }', variables: { input: { email: 'nobody@example.com', password: 'wrong-password' } } },
      { 'x-request-id': 'test-mutation-0001' },
    );
    expect(await router.waitForLine(requestLine('test-mutation-0001'))).toMatchObject({
      operationName: 'SignIn',
      operationType: 'mutation',
      outcome: 'error',
      errorCodes: ['UNAUTHENTICATED'],
    });

    const badToken = await post({ query: 'query WithBadToken { __typename }' }, { 'x-request-id': 'test-token-0001', authorization: 'Bearer not-a-token' });
    expect(badToken.status).toBe(401);
    expect(await router.waitForLine(requestLine('test-token-0001'))).toMatchObject({ status: 401, outcome: 'error', errorCodes: ['UNAUTHENTICATED'] });

    // Refused before any executor (CSRF): still one line, with its status.
    const refused = await fetch(routerUrl, { method: 'POST', headers: { 'content-type': 'text/plain', 'x-request-id': 'test-csrf-0001' }, body: '{}' });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('x-request-id')).toBe('test-csrf-0001');
    expect(await router.waitForLine(requestLine('test-csrf-0001'))).toMatchObject({ status: 400, outcome: 'error', errorCodes: ['BAD_REQUEST'], operationName: null });
  });

  test('never logs variables, passwords, tokens or the Authorization header', async () => {
    const email = `secret-${randomUUID()}@log.example`;
    const password = `pw-${randomUUID()}`;
    const registered = await post(
      {
        query: 'mutation Join($input: RegisterInput!) { register(input: $input) { accessToken refreshToken } }',
        variables: { input: { email, password, displayName: 'Secret Keeper', role: 'GUEST' } },
      },
      { 'x-request-id': 'test-secret-0001' },
    );
    const { accessToken, refreshToken } = ((await registered.json()) as { data: { register: { accessToken: string; refreshToken: string } } }).data.register;
    const city = `City-${randomUUID()}`;
    await post(
      { query: 'query Search($city: String!) { listings(city: $city) { edges { node { title } } } }', variables: { city } },
      { 'x-request-id': 'test-secret-0002', authorization: `Bearer ${accessToken}` },
    );
    await router.waitForLine(requestLine('test-secret-0001'));
    expect(await router.waitForLine(requestLine('test-secret-0002'))).toMatchObject({ operationName: 'Search', outcome: 'ok' });
    const output = router.output();
    for (const secret of [email, password, accessToken, refreshToken, city, 'Bearer', 'Secret Keeper']) expect(output).not.toContain(secret);
  });

  test("a subgraph's 4xx answer is on the request's line, which is then a warning: the subgraph, its status, the code the client got", async () => {
    const response = await post({ query: 'query NulCity { searchListings(city: "Lis\\u0000bon") { edges { node { id } } } }' }, { 'x-request-id': 'test-4xx-0001' });
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(await router.waitForLine(requestLine('test-4xx-0001'))).toMatchObject({
      level: LOG_LEVELS.warn,
      operationName: 'NulCity',
      operationType: 'query',
      status: 200,
      outcome: 'error',
      errorCodes: ['BAD_USER_INPUT'],
      subgraphRefusals: [{ subgraph: 'catalog', status: 400 }],
    });
    expect(router.lines.filter((line) => line.requestId === 'test-4xx-0001')).toHaveLength(1);
  });

  test('a failing request is logged once, with its codes: no second line from Apollo Server, the gateway, the executor or the subgraph client (both executors)', async () => {
    const gateway = await startRouterProcess({ ROUTER_EXECUTOR: 'gateway' });
    const failing: [string, unknown, Record<string, string>][] = [
      ['subgraph-error', { query: 'mutation SignIn($input: LoginInput!) { login(input: $input) { accessToken } }', variables: { input: { email: 'nobody@example.com', password: 'wrong-password' } } }, {}],
      ['subgraph-4xx', { query: 'query NulCity { searchListings(city: "Lis\\u0000bon") { edges { node { id } } } }' }, {}],
      ['access', { query: 'query Mine { bookings(first: 1) { edges { node { id } } } }' }, {}],
      ['validation', { query: '{ noSuchField }' }, {}],
      ['variables', { query: 'query Sized($n: Int) { listings(first: $n) { edges { node { id } } } }', variables: { n: 'many' } }, {}],
      ['token', { query: '{ __typename }' }, { authorization: 'Bearer not-a-token' }],
      ['subgraph-down', { query: '{ listings(city: "Kyoto") { edges { node { title } } } }' }, {}],
    ];
    try {
      for (const [executor, target, url] of [
        ['router', router, routerUrl],
        ['gateway', gateway.process, gateway.url],
      ] as const) {
        for (const [name, body, headers] of failing) {
          const requestId = `once-${executor}-${name}`;
          if (name === 'subgraph-down') await stack.subgraphs.catalog.stop();
          let lines: LogLine[];
          try {
            lines = await linesOf(target, url, requestId, body, headers);
          } finally {
            if (name === 'subgraph-down') await stack.subgraphs.catalog.restart();
          }
          // One line, the request's, with one code; nothing else written meanwhile.
          expect({ executor, name, lines: lines.map((line) => [line.msg, line.requestId, line.outcome, (line.errorCodes as string[] | undefined)?.length]) }).toEqual({
            executor,
            name,
            lines: [['request', requestId, 'error', 1]],
          });
        }
      }
    } finally {
      await gateway.process.stop();
    }
  });

  describe('subscriptions', () => {
    let host: RegisteredSession;
    let guest: RegisteredSession;
    let listingId: string;

    beforeAll(async () => {
      host = await registerThroughRouter(stack, `host-${randomUUID()}@log.example`, 'HOST');
      guest = await registerThroughRouter(stack, `guest-${randomUUID()}@log.example`);
      const listing = await stack.query<{ createListing: { id: string } }>(
        `mutation { createListing(input: { title: "Logged loft", city: "Porto", capacity: 2, pricePerNight: { amount: 8000, currency: "EUR" } }) { id } }`,
        {},
        host.accessToken,
      );
      listingId = listing.data!.createListing.id;
      await waitUntilBookable(stack, listingId, guest);
    });

    test('multipart and graphql-ws: a line when each starts, and one when it ends with its duration and event count', async () => {
      const query = 'subscription Watch($l: ID!) { availabilityChanged(listingId: $l) { listingId available } }';
      const multipart = await openMultipart({ query, variables: { l: listingId } }, 'test-multipart-0001');
      expect(multipart.headers['x-request-id']).toBe('test-multipart-0001');
      let received = '';
      multipart.on('data', (chunk: Buffer) => (received += chunk.toString()));
      expect(await router.waitForLine((line) => line.requestId === 'test-multipart-0001' && line.msg === 'subscription started')).toMatchObject({
        transport: 'multipart',
        operationName: 'Watch',
        operationType: 'subscription',
      });

      const socket = connectSubscriptions(routerUrl);
      const ws = socket.subscribe<{ availabilityChanged: { available: boolean } }>(query, { l: listingId }, 'Watch');
      const wsStarted = await router.waitForLine((line) => line.transport === 'ws' && line.msg === 'subscription started');
      expect(wsStarted).toMatchObject({ operationName: 'Watch', operationType: 'subscription', subscriptionId: expect.any(String) });
      expect(wsStarted.requestId).toMatch(UUID);

      const booked = await stack.query<{ createBooking: { id: string } }>(
        `mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }`,
        { input: { listingId, startsAt: '2034-02-01T15:00:00Z', endsAt: '2034-02-03T11:00:00Z', idempotencyKey: randomUUID() } },
        guest.accessToken,
      );
      expect(booked.errors).toBeUndefined();
      await ws.nth(1);
      await waitFor(() => received.includes('"available":false'), 15_000);

      ws.complete();
      const wsEnded = await router.waitForLine((line) => line.requestId === wsStarted.requestId && line.msg === 'subscription ended');
      expect(wsEnded).toMatchObject({ transport: 'ws', subscriptionId: wsStarted.subscriptionId, operationName: 'Watch', outcome: 'ok', events: 1 });
      expect(typeof wsEnded.durationMs).toBe('number');
      await socket.dispose();

      multipart.destroy();
      const ended = await router.waitForLine((line) => line.requestId === 'test-multipart-0001' && line.msg === 'subscription ended');
      expect(ended).toMatchObject({ transport: 'multipart', operationName: 'Watch', events: 1, outcome: 'aborted' });
      expect(typeof ended.durationMs).toBe('number');
      expect(router.lines.filter((line) => line.requestId === 'test-multipart-0001')).toHaveLength(2);
    });
  });
});

describe('LOG_LEVEL=warn', () => {
  test("silences the per-request lines but keeps the request id and the lines that need on-call (a subgraph's 4xx, here on the gateway path)", async () => {
    const quiet = await startRouterProcess({ LOG_LEVEL: 'warn', ROUTER_EXECUTOR: 'gateway' });
    try {
      const ok = await fetch(quiet.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'quiet-0001' },
        body: JSON.stringify({ query: 'query Quiet { listings(city: "Kyoto") { edges { node { title } } } }' }),
      });
      expect(ok.headers.get('x-request-id')).toBe('quiet-0001');
      await graphqlRequest(quiet.url, 'query QuietNul { searchListings(city: "Lis\\u0000bon") { edges { node { id } } } }', undefined, { 'x-request-id': 'quiet-0002' });
      // Lines are written in order: once the warning is out, any line of the first request would be too.
      const warning = await quiet.process.waitForLine((line) => line.requestId === 'quiet-0002' && line.level === LOG_LEVELS.warn);
      expect(warning).toMatchObject({ msg: 'request', subgraphRefusals: [{ subgraph: 'catalog', status: 400 }], errorCodes: ['BAD_USER_INPUT'], operationName: 'QuietNul', operationType: 'query' });
      expect(quiet.process.lines.filter((line) => line.level < LOG_LEVELS.warn && line.level > 0)).toEqual([]);
    } finally {
      await quiet.process.stop();
    }
  });
});

describe("README's first example", () => {
  /** The JSON body of the README's first curl example, as a shell would pass it. */
  function firstCurlBody(): unknown {
    const readme = readFileSync(resolve(__dirname, '..', '..', 'README.md'), 'utf8');
    const curl = /curl (?:[^\n]*\\\n)*[^\n]*/.exec(readme)?.[0];
    const body = curl && /-d '([^']*)'/.exec(curl)?.[1];
    if (!body) throw new Error('README.md has no curl example with a -d body');
    return JSON.parse(body);
  }

  test('works for an anonymous user on the demo data', async () => {
    const response = await post(firstCurlBody());
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { data?: { listings?: { edges: unknown[] } }; errors?: unknown };
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.listings?.edges.length).toBeGreaterThan(0);
  });
});

describe('/ready while shutting down', () => {
  test('answers 503 "draining" during SHUTDOWN_DRAIN_MS while queries are still served, then the router exits cleanly', async () => {
    const draining = await startRouterProcess({ SHUTDOWN_DRAIN_MS: '10000' });
    try {
      const readyUrl = draining.url.replace(/\/graphql$/, '/ready');
      expect((await fetch(readyUrl)).status).toBe(200);
      const exited = new Promise<number | null>((resolveExit) => draining.process.child.once('exit', (code) => resolveExit(code)));
      draining.process.child.kill('SIGTERM');
      await draining.process.waitForLine((line) => line.msg === 'draining: /ready answers 503 until shutdown');
      const ready = await fetch(readyUrl);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'draining' });
      const answer = await graphqlRequest(draining.url, '{ listings(city: "Kyoto") { edges { node { title } } } }').catch((error: unknown) => {
        throw new Error(`${String(error)}: ${draining.process.output()}`);
      });
      expect(answer.errors).toBeUndefined();
      expect(await exited).toBe(0);
    } finally {
      await draining.process.stop();
    }
  });
});

describe('WebSocket clients at shutdown', () => {
  test('are closed with 1012 (service restart), so graphql-ws clients reconnect to another instance', async () => {
    const router = await startRouterProcess({ SHUTDOWN_DRAIN_MS: '0' });
    try {
      const socket = new WebSocket(router.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
      await new Promise<void>((resolveOpen, rejectOpen) => {
        socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
        socket.once('message', (data) => (JSON.parse(String(data)).type === 'connection_ack' ? resolveOpen() : rejectOpen(new Error(String(data)))));
        socket.once('error', rejectOpen);
      });
      const closed = new Promise<{ code: number; reason: string }>((resolveClose) => socket.once('close', (code, reason) => resolveClose({ code, reason: String(reason) })));
      router.process.child.kill('SIGTERM');
      expect(await closed).toEqual({ code: 1012, reason: 'router restarting: reconnect' });
    } finally {
      await router.process.stop();
    }
  });
});

describe('/ready with a subgraph down', () => {
  test('stays 200: one subgraph down must not take every router (and so the whole API) out of service', async () => {
    await stack.subgraphs.catalog.stop();
    try {
      const answer = await graphqlRequest(routerUrl, '{ listings(city: "Kyoto") { edges { node { title } } } }');
      expect(answer.errors?.[0]?.extensions?.code).toBe('SUBGRAPH_UNAVAILABLE');
      const ready = await fetch(routerUrl.replace(/\/graphql$/, '/ready'));
      expect(ready.status).toBe(200);
    } finally {
      await stack.subgraphs.catalog.restart();
    }
  });
});

function openMultipart(body: unknown, requestId: string): Promise<IncomingMessage> {
  const request = httpRequest(routerUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'multipart/mixed;subscriptionSpec=1.0', 'x-request-id': requestId },
  });
  request.end(JSON.stringify(body));
  return new Promise<IncomingMessage>((resolveResponse, reject) => {
    request.once('response', resolveResponse);
    request.once('error', reject);
  });
}
