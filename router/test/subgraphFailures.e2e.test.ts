import {
  countingForward,
  findFreePort,
  graphqlRequest,
  killServiceProcesses,
  routerProcessEnv,
  startServiceProcess,
  startStack,
  TEST_SIGNING_SECRET,
  testRedisUrl,
  waitFor,
  type CountingForward,
  type ForwardFault,
  type GraphQLResponse,
  type LogLine,
  type ServiceProcess,
  type Stack,
} from '@booking/testkit';

/**
 * Subgraph failures as a client and an on-call engineer meet them (README "Failure behaviour"):
 * the catalog subgraph runs as its own process and is frozen (SIGSTOP) or killed under
 * concurrent load; the router, a process too, opens catalog's circuit, answers fast with the
 * other subgraphs' data and SUBGRAPH_UNAVAILABLE, and closes it once catalog is back.
 */
const BOOKINGS = '{ bookings(first: 1) { edges { node { status listing { title } guest { displayName } } } } }';
type Bookings = { bookings: { edges: { node: { status: string; listing: { title: string } | null; guest: { displayName: string } | null } }[] } };

const SUBGRAPH_TIMEOUT_MS = 2_000;
/**
 * Open for longer than the load's last calls can take to time out (the fast answers below are
 * asked after them): with an open time close to the timeout, a loaded machine reached the
 * half-open probe first, and that answer took the probe's timeout.
 */
const OPEN_MS = 6_000;
const BREAKER = {
  SUBGRAPH_TIMEOUT_MS: String(SUBGRAPH_TIMEOUT_MS),
  SUBGRAPH_BREAKER_WINDOW_MS: '3000',
  SUBGRAPH_BREAKER_MIN_CALLS: '5',
  SUBGRAPH_BREAKER_FAILURE_PERCENT: '50',
  SUBGRAPH_BREAKER_OPEN_MS: String(OPEN_MS),
};

let stack: Stack;
let token: string;

async function login(): Promise<string> {
  const answer = await stack.query<{ login: { accessToken: string } }>('mutation($input: LoginInput!) { login(input: $input) { accessToken } }', {
    input: { email: 'alice@example.com', password: 'demo-password' },
  });
  return answer.data!.login.accessToken;
}

beforeAll(async () => {
  stack = await startStack({ seedDemo: true });
  token = await login();
}, 120_000);

afterAll(async () => {
  killServiceProcesses();
  await stack?.stop();
});

describe('circuit breaker per subgraph (real processes)', () => {
  let catalog: ServiceProcess;
  let catalogPort: number;
  let router: ServiceProcess;
  let routerUrl: string;
  let metricsUrl: string;
  let baseline: Bookings['bookings']['edges'][number]['node'];

  function startCatalog(): Promise<void> {
    catalog = startServiceProcess('catalog', {
      PORT: String(catalogPort),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      CATALOG_DATABASE_URL: stack.subgraphs.catalog.database.url,
      ROUTER_SIGNING_SECRET: TEST_SIGNING_SECRET,
      REDIS_URL: testRedisUrl(),
      EVENT_KEY_PREFIX: stack.eventKeyPrefix,
    });
    return catalog.waitUntilReady(`http://127.0.0.1:${catalogPort}/ready`);
  }

  beforeAll(async () => {
    // The in-process catalog gives its database and keys to the process.
    await stack.subgraphs.catalog.stop();
    catalogPort = await findFreePort();
    await startCatalog();
    const port = await findFreePort();
    router = startServiceProcess('router', routerProcessEnv(stack, port, { subgraphUrls: { catalog: `http://127.0.0.1:${catalogPort}/graphql` }, env: BREAKER }));
    await router.waitUntilReady(`http://127.0.0.1:${port}/ready`);
    routerUrl = `http://127.0.0.1:${port}/graphql`;
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    const first = await ask();
    expect(first.errors).toBeUndefined();
    baseline = first.data!.bookings.edges[0]!.node;
    expect(baseline.listing).not.toBeNull();
  }, 120_000);

  // A frozen catalog would not stop (nor let the next test start from a closed circuit).
  afterEach(() => {
    if (catalog.child.exitCode === null && catalog.child.signalCode === null) process.kill(catalog.child.pid!, 'SIGCONT');
  });

  afterAll(async () => {
    await router?.stop();
    await catalog?.stop();
  });

  const ask = (): Promise<GraphQLResponse<Bookings>> => graphqlRequest<Bookings>(routerUrl, BOOKINGS, {}, { authorization: `Bearer ${token}` });

  /** The router's line for catalog's circuit moving to `to`, among the lines written from `from` on. */
  async function transition(to: string, from: number, timeoutMs: number): Promise<LogLine> {
    const find = () => router.lines.slice(from).find((line) => line.subgraph === 'catalog' && line.to === to);
    await waitFor(() => find() !== undefined, timeoutMs);
    return find()!;
  }

  async function metric(name: string): Promise<number> {
    const text = await (await fetch(metricsUrl)).text();
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{subgraph="catalog"} `));
    return Number(line?.split(' ')[1]);
  }

  /** Eight clients asking over and over until `stop` says so; each answer with its time. */
  function load(stop: () => boolean): Promise<{ response: GraphQLResponse<Bookings>; ms: number }[]> {
    const answers: { response: GraphQLResponse<Bookings>; ms: number }[] = [];
    const client = async () => {
      while (!stop()) {
        const started = Date.now();
        const response = await ask();
        answers.push({ response, ms: Date.now() - started });
      }
    };
    return Promise.all(Array.from({ length: 8 }, client)).then(() => answers);
  }

  /** Asks until an answer is whole: a probe went through and the circuit is closed again. */
  async function untilClosed(): Promise<GraphQLResponse<Bookings>> {
    const deadline = Date.now() + OPEN_MS + 10_000;
    let last = await ask();
    while (last.errors !== undefined && Date.now() < deadline) {
      await new Promise((wait) => setTimeout(wait, 100));
      last = await ask();
    }
    return last;
  }

  /** Under load with catalog failing: the circuit opens, answers come fast with partial data, then `recover` and it closes. */
  async function opensAndCloses(fail: () => void, recover: () => Promise<void>): Promise<void> {
    // Each test starts from a closed circuit, whatever the one before it left.
    expect((await untilClosed()).errors).toBeUndefined();
    expect(await metric('router_subgraph_circuit_state')).toBe(0);
    const from = router.lines.length;
    const failedAt = Date.now();
    fail();
    let opened = false;
    const loaded = load(() => opened);
    const open = await transition('open', from, 10_000);
    opened = true;
    await loaded;
    // It opened within its window (plus one call's timeout), at warn, with the count that opened it.
    expect(Date.now() - failedAt).toBeLessThan(3_000 + SUBGRAPH_TIMEOUT_MS + 1_000);
    expect(open).toMatchObject({ level: 40, subgraph: 'catalog', from: 'closed', to: 'open' });
    expect(open.calls as number).toBeGreaterThanOrEqual(5);
    expect(open.failures as number).toBeGreaterThanOrEqual((open.calls as number) / 2);
    expect(await metric('router_subgraph_circuit_state')).toBe(2);

    // Open: answers come at once, with bookings' and accounts' data and catalog's coded error.
    const shortCircuitedBefore = await metric('router_subgraph_calls_short_circuited_total');
    const fast = await Promise.all(Array.from({ length: 8 }, async () => {
      const started = Date.now();
      const response = await ask();
      return { response, ms: Date.now() - started };
    }));
    for (const { response, ms } of fast) {
      // Any answer that waited on catalog would take its whole timeout.
      expect(ms).toBeLessThan(SUBGRAPH_TIMEOUT_MS / 2);
      expect(response.data?.bookings.edges[0]?.node).toEqual({ ...baseline, listing: null });
      expect(response.errors).toEqual([
        expect.objectContaining({
          message: expect.stringContaining('circuit breaker is open'),
          extensions: expect.objectContaining({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'catalog', reason: 'CIRCUIT_OPEN' }),
        }),
      ]);
    }
    expect(await metric('router_subgraph_calls_short_circuited_total')).toBeGreaterThanOrEqual(shortCircuitedBefore + 8);

    // Back: a probe goes through once the open time is over, and the circuit closes.
    await recover();
    const last = await untilClosed();
    expect(last.errors).toBeUndefined();
    expect(last.data?.bookings.edges[0]?.node).toEqual(baseline);
    const closed = await transition('closed', from, 1_000);
    expect(closed).toMatchObject({ level: 30, from: 'half_open', to: 'closed' });
    expect(await metric('router_subgraph_circuit_state')).toBe(0);
  }

  it('opens under load when catalog freezes (SIGSTOP), serves the rest fast, and closes after SIGCONT', async () => {
    await opensAndCloses(
      () => process.kill(catalog.child.pid!, 'SIGSTOP'),
      async () => {
        process.kill(catalog.child.pid!, 'SIGCONT');
      },
    );
  }, 60_000);

  it('opens when catalog is killed, and closes when it is restarted', async () => {
    await opensAndCloses(
      () => catalog.child.kill('SIGKILL'),
      () => startCatalog(),
    );
  }, 60_000);
});

describe.each([['the router executor', 'router'], ['the gateway path', 'gateway']])('retries of queries, never of mutations, on %s', (_name, executor) => {
  const VIEWER = '{ viewer { id } }';
  const LOGIN = 'mutation($input: LoginInput!) { login(input: $input) { accessToken } }';
  let front: CountingForward;
  let routerUrl: string;
  /** What the front does with call n; set per test. */
  let faultOf: (call: number) => ForwardFault | undefined = () => undefined;

  beforeAll(async () => {
    front = await countingForward(stack.subgraphs.accounts.graphqlUrl, (call) => faultOf(call));
    // No breaker here: these tests count each call.
    routerUrl = (await stack.startRouter({ ACCOUNTS_URL: front.url, SUBGRAPH_BREAKER: 'false', SUBGRAPH_RETRIES: '2', ROUTER_EXECUTOR: executor })).url;
  });
  afterAll(() => front?.close());

  async function callsFor(query: string, variables: Record<string, unknown>, faults: readonly (ForwardFault | undefined)[]) {
    const before = front.calls();
    faultOf = (call) => faults[call - before - 1];
    const response = await graphqlRequest<Record<string, unknown>>(routerUrl, query, variables, { authorization: `Bearer ${token}` });
    return { response, calls: front.calls() - before };
  }

  it('retries a query after a reset connection and a 503, and answers with the data', async () => {
    const { response, calls } = await callsFor(VIEWER, {}, ['reset', { status: 503 }]);
    expect(calls).toBe(3);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ viewer: { id: expect.any(String) } });
  });

  it('signs a retry anew: the subgraph saw the first call and refuses its signature a second time', async () => {
    const { response, calls } = await callsFor(VIEWER, {}, [{ status: 503, afterPassingOn: true }]);
    expect(calls).toBe(2);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ viewer: { id: expect.any(String) } });
  });

  it('gives up after SUBGRAPH_RETRIES retries with the last failure', async () => {
    const { response, calls } = await callsFor(VIEWER, {}, [{ status: 502 }, { status: 504 }, { status: 503 }, undefined]);
    expect(calls).toBe(3);
    expect(response.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'SUBGRAPH_HTTP_ERROR', serviceName: 'accounts', status: 503 }) })]);
  });

  it('does not retry a 500', async () => {
    const { calls } = await callsFor(VIEWER, {}, [{ status: 500 }, undefined]);
    expect(calls).toBe(1);
  });

  it.each([['a reset connection', 'reset' as const], ['a 503', { status: 503 }]])('never retries a mutation after %s', async (_name, fault) => {
    const { response, calls } = await callsFor(LOGIN, { input: { email: 'alice@example.com', password: 'demo-password' } }, [fault, undefined]);
    expect(calls).toBe(1);
    expect(response.data).toBeNull();
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: expect.stringMatching(/^SUBGRAPH_(UNAVAILABLE|HTTP_ERROR)$/), serviceName: 'accounts' });
  });
});

describe('the circuit breaker on the gateway path', () => {
  it('stops calling a subgraph that keeps failing and answers SUBGRAPH_UNAVAILABLE at once', async () => {
    const failing = await countingForward(stack.subgraphs.accounts.graphqlUrl, () => ({ status: 500 }));
    try {
      const { url } = await stack.startRouter({
        ACCOUNTS_URL: failing.url,
        ROUTER_EXECUTOR: 'gateway',
        SUBGRAPH_BREAKER_MIN_CALLS: '5',
        SUBGRAPH_BREAKER_OPEN_MS: '60000',
      });
      const answers: GraphQLResponse[] = [];
      for (let index = 0; index < 8; index += 1) answers.push(await graphqlRequest(url, '{ viewer { id } }', {}, { authorization: `Bearer ${token}` }));
      expect(failing.calls()).toBe(5);
      expect(answers.slice(0, 5).map((answer) => answer.errors?.[0]?.extensions?.code)).toEqual(Array(5).fill('SUBGRAPH_HTTP_ERROR'));
      for (const answer of answers.slice(5)) {
        expect(answer.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'accounts', reason: 'CIRCUIT_OPEN' }) })]);
      }
    } finally {
      await failing.close();
    }
  });
});

describe('a deadline the client may lower (x-request-timeout-ms)', () => {
  const VIEWER = '{ viewer { id } }';
  const MAXIMUM_MS = 1_500;
  let slow: CountingForward;
  const urls: Record<string, string> = {};

  beforeAll(async () => {
    // accounts answers after 5 s: only the deadline ends the request sooner.
    slow = await countingForward(stack.subgraphs.accounts.graphqlUrl, () => ({ delayMs: 5_000 }));
    const env = { ACCOUNTS_URL: slow.url, ROUTER_REQUEST_TIMEOUT_MS: String(MAXIMUM_MS), SUBGRAPH_TIMEOUT_MS: '10000' };
    urls.router = (await stack.startRouter(env)).url;
    urls.gateway = (await stack.startRouter({ ...env, ROUTER_EXECUTOR: 'gateway' })).url;
  });
  afterAll(() => slow?.close());

  async function timed(url: string, timeout: string) {
    const started = Date.now();
    const response = await graphqlRequest(url, VIEWER, {}, { authorization: `Bearer ${token}`, 'x-request-timeout-ms': timeout });
    return { response, ms: Date.now() - started };
  }

  it.each([['the router executor', 'router'], ['the gateway path', 'gateway']])('honours a lower deadline and ignores a higher one on %s', async (_name, executor) => {
    const lowered = await timed(urls[executor]!, '300');
    expect(lowered.ms).toBeGreaterThanOrEqual(280);
    expect(lowered.ms).toBeLessThan(MAXIMUM_MS - 300);
    expect(lowered.response.errors?.[0]?.extensions).toMatchObject({ code: 'REQUEST_TIMEOUT', serviceName: 'accounts' });

    const raised = await timed(urls[executor]!, '60000');
    expect(raised.ms).toBeGreaterThanOrEqual(MAXIMUM_MS - 50);
    expect(raised.ms).toBeLessThan(4_000);
    expect(raised.response.errors?.[0]?.extensions).toMatchObject({ code: 'REQUEST_TIMEOUT', serviceName: 'accounts' });
  });

  it.each([['the router executor', 'router'], ['the gateway path', 'gateway']])('refuses a value that is not a whole number of milliseconds on %s', async (_name, executor) => {
    const { response } = await timed(urls[executor]!, 'soon');
    expect(response.data ?? null).toBeNull();
    expect(response.errors).toEqual([expect.objectContaining({ message: expect.stringContaining('x-request-timeout-ms'), extensions: expect.objectContaining({ code: 'BAD_REQUEST' }) })]);
  });
});
