import { randomUUID } from 'node:crypto';
import { SUBGRAPH_NAMES } from '@booking/runtime';
import { graphqlRequest, registerThroughRouter, startStack, TEST_SIGNING_SECRET, type Stack, type TestSession } from '@booking/testkit';

/**
 * PostgreSQL text cannot hold U+0000. A NUL in any string input is the client's mistake:
 * BAD_USER_INPUT naming the input, refused by the subgraph before a resolver runs (HTTP 400),
 * and that coded refusal reaches the client through the router on both executors, with the
 * subgraph's name, instead of INTERNAL_SERVER_ERROR or SUBGRAPH_HTTP_ERROR.
 */
describe('text with a NUL character', () => {
  let stack: Stack;
  let host: TestSession;
  const urls: Record<'router' | 'gateway', string> = { router: '', gateway: '' };
  const errorLogs: unknown[] = [];

  beforeAll(async () => {
    stack = await startStack();
    urls.router = stack.routerUrl;
    urls.gateway = (await stack.startRouter({ ROUTER_EXECUTOR: 'gateway' })).url;
    host = await registerThroughRouter(stack, `nul-host-${randomUUID()}@e2e.example`, 'HOST');
    // Observed, not replaced: what each subgraph logs at error level while these requests run.
    for (const name of SUBGRAPH_NAMES) {
      const logger = stack.subgraphs[name].server.logger;
      const original = logger.error.bind(logger);
      jest.spyOn(logger, 'error').mockImplementation((...args: Parameters<typeof logger.error>) => {
        errorLogs.push(args[0]);
        return original(...args);
      });
    }
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await stack?.stop();
  });

  describe.each(['router', 'gateway'] as const)('executor %s', (executor) => {
    const expectRefused = (response: Awaited<ReturnType<typeof graphqlRequest>>, field: string, serviceName: string) => {
      expect(response.status).toBe(200);
      expect(response.errors).toHaveLength(1);
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field, serviceName });
      expect(response.errors?.[0]?.message).toContain('NUL');
      expect(errorLogs).toEqual([]);
    };

    it('in a string literal of searchListings', async () => {
      const response = await graphqlRequest(urls[executor], '{ searchListings(city: "Lis\\u0000bon") { edges { node { id } } } }');
      expectRefused(response, 'city', 'catalog');
    });

    it('in a variable of searchListings', async () => {
      const response = await graphqlRequest(urls[executor], 'query($city: String) { searchListings(city: $city) { edges { node { id } } } }', {
        city: 'Lis\u0000bon',
      });
      expectRefused(response, 'city', 'catalog');
    });

    it('in a mutation input, and nothing is written', async () => {
      const title = `Loft\u0000${randomUUID()}`;
      const response = await graphqlRequest(
        urls[executor],
        'mutation($input: CreateListingInput!) { createListing(input: $input) { id } }',
        { input: { title, city: 'Porto', capacity: 2, pricePerNight: { amount: 9000, currency: 'EUR' } } },
        { authorization: `Bearer ${host.accessToken}` },
      );
      expectRefused(response, 'input.title', 'catalog');
      expect(response.data).toBeNull();
    });

    it('in a literal nested in a mutation input object', async () => {
      const email = `nul-${randomUUID()}@e2e.example`;
      const response = await graphqlRequest(
        urls[executor],
        `mutation { register(input: { email: "${email}", password: "correct horse battery staple", displayName: "Ne\\u0000o", role: GUEST }) { user { id } } }`,
      );
      expectRefused(response, 'input.displayName', 'accounts');
      const rows = (await stack.subgraphs.accounts.server.database.em
        .fork()
        .getConnection()
        .execute('select count(*)::int as count from users where email = ?', [email])) as { count: number }[];
      expect(rows[0]?.count).toBe(0);
    });
  });


  it.each(['router', 'gateway'])('a subgraph refusal that is not the client\'s mistake (403, bad signature) stays SUBGRAPH_HTTP_ERROR on executor %s', async (executor) => {
    const misconfigured = await stack.startRouter({ ROUTER_SIGNING_SECRET: `${TEST_SIGNING_SECRET}-not-the-subgraphs-one`, ROUTER_EXECUTOR: executor });
    const response = await graphqlRequest(misconfigured.url, '{ searchListings(city: "Lisbon") { edges { node { id } } } }');
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'SUBGRAPH_HTTP_ERROR', serviceName: 'catalog', status: 403 });
  });
});
