import { prettyFormatQueryPlan, type QueryPlan } from '@apollo/query-planner';
import { SUBGRAPH_NAMES, type SubgraphName } from '@booking/runtime';
import { countingForward, startStack, type CountingForward, type Stack } from '@booking/testkit';

interface Answer {
  readonly status: number;
  readonly body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: { code?: string } }[];
    extensions?: { apolloQueryPlan?: { object: QueryPlan; text: string } } & Record<string, unknown>;
  };
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

async function get(url: string, query: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${url}?${new URLSearchParams({ query })}`, {
    headers: { 'apollo-require-preflight': 'true', ...headers },
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

/** Listings from catalog, their hosts' names from accounts: a fetch, then a flattened entity fetch. */
const HOSTED_LISTINGS = 'query HostedListings { listings(first: 2) { edges { node { id title host { id displayName } } } } }';
const SHOW = { 'apollo-expose-query-plan': 'true' };
const DRY_RUN = { 'apollo-expose-query-plan': 'dry-run' };

/**
 * Apollo-Expose-Query-Plan on real routers over real subgraphs (each behind a counting forward):
 * the plan in `extensions.apolloQueryPlan` as Apollo Router gives it to Sandbox, on both
 * executors, a dry run that calls no subgraph, and the production profile ignoring the header.
 */
describe('query plans for people (Apollo-Expose-Query-Plan)', () => {
  let stack: Stack;
  const forwards = {} as Record<SubgraphName, CountingForward>;
  const calls = (name: SubgraphName) => forwards[name].calls();
  const totalCalls = () => SUBGRAPH_NAMES.reduce((sum, name) => sum + calls(name), 0);
  let ownUrl = '';
  let gatewayUrl = '';

  beforeAll(async () => {
    stack = await startStack({ seedDemo: true });
    for (const name of SUBGRAPH_NAMES) forwards[name] = await countingForward(stack.subgraphs[name].graphqlUrl);
    const behindForwards = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, forwards[name].url]));
    ownUrl = (await stack.startRouter(behindForwards)).url;
    gatewayUrl = (await stack.startRouter({ ...behindForwards, ROUTER_EXECUTOR: 'gateway' })).url;
  });
  afterAll(async () => {
    await stack?.stop();
    await Promise.all(Object.values(forwards).map((forward) => forward.close()));
  });

  it("exposes the plan the router's own executor runs: a sequence of a catalog fetch and a flattened accounts fetch, as object and text", async () => {
    const [catalogBefore, accountsBefore] = [calls('catalog'), calls('accounts')];
    const answer = await post(ownUrl, { query: HOSTED_LISTINGS }, SHOW);
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    const edges = (answer.body.data?.listings as { edges: { node: { host: { displayName: string } } }[] }).edges;
    expect(edges.length).toBeGreaterThan(0);
    expect(typeof edges[0]?.node.host.displayName).toBe('string');
    // It ran: both subgraphs the plan names were called.
    expect(calls('catalog')).toBeGreaterThan(catalogBefore);
    expect(calls('accounts')).toBeGreaterThan(accountsBefore);

    const exposed = answer.body.extensions?.apolloQueryPlan;
    expect(Object.keys(answer.body.extensions ?? {})).toEqual(['apolloQueryPlan']);
    expect(exposed?.object).toMatchObject({
      kind: 'QueryPlan',
      node: {
        kind: 'Sequence',
        nodes: [
          { kind: 'Fetch', serviceName: 'catalog', operationKind: 'query', operation: expect.stringContaining('listings') },
          {
            kind: 'Flatten',
            path: ['listings', 'edges', '@', 'node', 'host'],
            node: {
              kind: 'Fetch',
              serviceName: 'accounts',
              requires: [{ kind: 'InlineFragment', typeCondition: 'User', selections: [{ kind: 'Field', name: '__typename' }, { kind: 'Field', name: 'id' }] }],
              operation: expect.stringContaining('_entities'),
            },
          },
        ],
      },
    });
    // The text is Apollo's pretty format of that very object.
    expect(exposed?.text).toBe(prettyFormatQueryPlan(exposed?.object as QueryPlan));
    expect(exposed?.text).toMatch(/^QueryPlan \{\n {2}Sequence \{\n {4}Fetch\(service: "catalog"\) \{/);
    expect(exposed?.text).toContain('Flatten(path: "listings.edges.@.node.host") {');
  });

  it('adds nothing to a request that does not ask, or asks with another value', async () => {
    const unasked: Record<string, string>[] = [{}, { 'apollo-expose-query-plan': 'false' }, { 'apollo-expose-query-plan': 'yes' }];
    for (const headers of unasked) {
      for (const url of [ownUrl, gatewayUrl]) {
        const answer = await post(url, { query: HOSTED_LISTINGS }, headers);
        expect(answer.body.data?.listings).toBeDefined();
        expect(answer.body.extensions).toBeUndefined();
      }
    }
  });

  it('gives the same plan on the @apollo/gateway path (ROUTER_EXECUTOR=gateway), over POST and GET, beside the cost when that is asked for too', async () => {
    const own = (await post(ownUrl, { query: HOSTED_LISTINGS }, SHOW)).body.extensions?.apolloQueryPlan;
    const before = calls('accounts');
    const gateway = await post(gatewayUrl, { query: HOSTED_LISTINGS }, SHOW);
    expect(gateway.body.data?.listings).toBeDefined();
    expect(calls('accounts')).toBeGreaterThan(before);
    expect(gateway.body.extensions?.apolloQueryPlan).toEqual(own);

    for (const url of [ownUrl, gatewayUrl]) {
      const got = await get(url, HOSTED_LISTINGS, SHOW);
      expect(got.status).toBe(200);
      expect(got.body.data?.listings).toBeDefined();
      expect(got.body.extensions?.apolloQueryPlan).toEqual(own);
      const both = await post(url, { query: HOSTED_LISTINGS }, { ...SHOW, 'graphql-expose-cost': 'true' });
      expect(both.body.extensions).toEqual({ cost: { estimated: expect.any(Number), limit: expect.any(Number) }, apolloQueryPlan: own });
    }
  });

  it('dry-run: the plan alone, and no subgraph is called, on both executors (a mutation does not run either)', async () => {
    const own = (await post(ownUrl, { query: HOSTED_LISTINGS }, SHOW)).body.extensions?.apolloQueryPlan;
    const MUTATION = 'mutation SignUp($input: RegisterInput!) { register(input: $input) { user { id displayName } } }';
    for (const url of [ownUrl, gatewayUrl]) {
      const before = totalCalls();
      const dry = await post(url, { query: HOSTED_LISTINGS }, DRY_RUN);
      expect(dry.status).toBe(200);
      // As Apollo Router answers a dry run: no data, no errors, the plan.
      expect(dry.body).toEqual({ extensions: { apolloQueryPlan: own } });
      const dryGet = await get(url, HOSTED_LISTINGS, DRY_RUN);
      expect(dryGet.body).toEqual({ extensions: { apolloQueryPlan: own } });
      const mutation = await post(url, { query: MUTATION, variables: { input: { email: `dry-${Date.now()}@example.com`, password: 'a long enough password 1', displayName: 'Dry' } } }, DRY_RUN);
      expect(mutation.body.data).toBeUndefined();
      expect(mutation.body.extensions?.apolloQueryPlan?.object.node).toMatchObject({ kind: 'Fetch', serviceName: 'accounts', operationKind: 'mutation' });
      expect(totalCalls()).toBe(before);
    }
    // Fields an anonymous caller may not see are left out of the plan and reported, as a run reports them.
    const PROTECTED = 'query WithBookings { listings(first: 1) { edges { node { id bookings { id } } } } }';
    const beforeDenied = totalCalls();
    const [ownDenied, gatewayDenied] = [await post(ownUrl, { query: PROTECTED }, DRY_RUN), await post(gatewayUrl, { query: PROTECTED }, DRY_RUN)];
    expect(totalCalls()).toBe(beforeDenied);
    expect(ownDenied.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(ownDenied.body.extensions?.apolloQueryPlan?.text).not.toContain('bookings');
    expect(gatewayDenied.body).toEqual(ownDenied.body);
    // Positive control: the same request without dry-run does reach the subgraphs.
    const before = totalCalls();
    await post(ownUrl, { query: HOSTED_LISTINGS }, SHOW);
    expect(totalCalls()).toBeGreaterThan(before);
  });

  describe('the production profile (NODE_ENV=production)', () => {
    it('ignores the header, as Apollo Router does with the feature off: the operation runs and no plan is told', async () => {
      const production = (await stack.startRouter({ NODE_ENV: 'production' })).url;
      for (const headers of [SHOW, DRY_RUN]) {
        const answer = await post(production, { query: HOSTED_LISTINGS }, headers);
        expect(answer.status).toBe(200);
        expect(answer.body.data?.listings).toBeDefined();
        expect(answer.body.errors).toBeUndefined();
        expect(answer.body.extensions?.apolloQueryPlan).toBeUndefined();
      }
      // Nor through the gateway's own header, which is off everywhere.
      const legacy = await post(production, { query: HOSTED_LISTINGS }, { 'apollo-query-plan-experimental': 'true' });
      expect(legacy.body.extensions).toBeUndefined();
    });

    it('tells it when EXPOSE_QUERY_PLAN=true, on both executors', async () => {
      const own = (await post(ownUrl, { query: HOSTED_LISTINGS }, SHOW)).body.extensions?.apolloQueryPlan;
      for (const executor of ['router', 'gateway']) {
        const url = (await stack.startRouter({ NODE_ENV: 'production', EXPOSE_QUERY_PLAN: 'true', ROUTER_EXECUTOR: executor })).url;
        const answer = await post(url, { query: HOSTED_LISTINGS }, SHOW);
        expect(answer.body.data?.listings).toBeDefined();
        expect(answer.body.extensions?.apolloQueryPlan).toEqual(own);
      }
    });
  });

  it('EXPOSE_QUERY_PLAN=false turns it off outside production too', async () => {
    const off = (await stack.startRouter({ EXPOSE_QUERY_PLAN: 'false' })).url;
    const answer = await post(off, { query: HOSTED_LISTINGS }, DRY_RUN);
    expect(answer.body.data?.listings).toBeDefined();
    expect(answer.body.extensions).toBeUndefined();
  });
});
