import { createRouter, readRouterConfig, type Router } from '@booking/router';
import { SUBGRAPH_NAMES } from '@booking/runtime';
import { graphqlRequest, startStack, TEST_SIGNING_SECRET, waitFor, type Stack } from '@booking/testkit';
import { Client } from 'pg';

const DEADLINE_MS = 1_000;
const QUERY = '{ bookings(first: 5) { edges { node { id listing { title } } } } }';

describe('router request deadline (ROUTER_REQUEST_TIMEOUT_MS)', () => {
  let stack: Stack;
  let token: string;
  let gatewayRouter: Router;
  let gatewayUrl: string;

  beforeAll(async () => {
    // Each subgraph call alone may take 10 s; the request as a whole only 1 s.
    stack = await startStack({ seedDemo: true, subgraphTimeoutMs: 10_000, routerEnv: { ROUTER_REQUEST_TIMEOUT_MS: String(DEADLINE_MS) } });
    const login = await stack.query<{ login: { accessToken: string } }>(
      'mutation($input: LoginInput!) { login(input: $input) { accessToken } }',
      { input: { email: 'alice@example.com', password: 'demo-password' } },
    );
    token = login.data!.login.accessToken;
    gatewayRouter = await createRouter(
      readRouterConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        ROUTER_SIGNING_SECRET: TEST_SIGNING_SECRET,
        SUBGRAPH_TIMEOUT_MS: '10000',
        ROUTER_REQUEST_TIMEOUT_MS: String(DEADLINE_MS),
        ROUTER_EXECUTOR: 'gateway',
        SUPERGRAPH_WATCH: 'false',
        ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, stack.subgraphs[name].graphqlUrl])),
      }),
    );
    gatewayUrl = `${await gatewayRouter.listen()}/graphql`;
  });
  afterAll(async () => {
    await gatewayRouter?.close();
    await stack?.stop();
  });

  /** Holds bookings' table so its statements wait (up to its 5 s statement_timeout). */
  async function withBookingsStalled(run: () => Promise<void>): Promise<void> {
    const holder = new Client({ connectionString: stack.subgraphs.bookings.database.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('lock table bookings in access exclusive mode');
      await run();
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
  }

  it.each([
    ['the router executor', () => stack.routerUrl],
    ['the gateway path', () => gatewayUrl],
  ])('answers REQUEST_TIMEOUT at the deadline on %s, and the subgraph stops working on the call', async (_path, url) => {
    await withBookingsStalled(async () => {
      const abortedBefore = stack.subgraphs.bookings.server.work.requestsAborted;
      const started = Date.now();
      const response = await graphqlRequest(url(), QUERY, {}, { authorization: `Bearer ${token}` });
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
      expect(elapsed).toBeLessThan(4_000);
      expect(response.errors).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'REQUEST_TIMEOUT', serviceName: 'bookings' }) }),
      ]);
      // The router cut the connection: bookings noticed and dropped the request.
      await waitFor(() => stack.subgraphs.bookings.server.work.requestsAborted > abortedBefore, 5_000);
    });
    const after = await graphqlRequest(url(), QUERY, {}, { authorization: `Bearer ${token}` });
    expect(after.errors).toBeUndefined();
  });
});
