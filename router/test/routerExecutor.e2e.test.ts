import { randomUUID } from 'node:crypto';
import {
  adminThroughRouter,
  graphqlRequest,
  invoiceOfBooking,
  registerThroughRouter,
  startStack,
  waitUntilBookable,
  type Stack,
  type TestSession,
} from '@booking/testkit';
import { PlanExecution } from '../src/execution/planExecutor';

/**
 * The router's own executor against @apollo/gateway's, on the same real subgraphs: every
 * operation here must get the very same response (data, errors, paths, codes) from both.
 */
describe("router executor answers exactly as @apollo/gateway's", () => {
  let stack: Stack;
  let gatewayUrl: string;
  let admin: TestSession;
  let host: TestSession;
  let guest: TestSession;
  let other: TestSession;
  let listingId: string;
  let bookingId: string;

  beforeAll(async () => {
    stack = await startStack();
    gatewayUrl = (await stack.startRouter({ ROUTER_EXECUTOR: 'gateway' })).url;
    admin = await adminThroughRouter(stack);
    host = await registerThroughRouter(stack, 'exec-host@e2e.example', 'HOST');
    guest = await registerThroughRouter(stack, 'exec-guest@e2e.example');
    other = await registerThroughRouter(stack, 'exec-other@e2e.example');
    const created = await stack.query<{ createListing: { id: string } }>(
      'mutation($input: CreateListingInput!) { createListing(input: $input) { id } }',
      { input: { title: 'Executor loft', city: 'Porto', capacity: 3, pricePerNight: { amount: 12000, currency: 'EUR' } } },
      host.accessToken,
    );
    listingId = created.data?.createListing.id as string;
    await waitUntilBookable(stack, listingId, guest);
    const booked = await stack.query<{ createBooking: { id: string } }>(
      'mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }',
      { input: { listingId, startsAt: '2033-05-01T15:00:00Z', endsAt: '2033-05-03T11:00:00Z', idempotencyKey: randomUUID() } },
      guest.accessToken,
    );
    bookingId = booked.data?.createBooking.id as string;
    await invoiceOfBooking(stack, bookingId, guest);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const sessions = () => ({ anonymous: undefined, guest: guest.accessToken, other: other.accessToken, host: host.accessToken, admin: admin.accessToken });

  async function both(query: string, variables: Record<string, unknown>, token: string | undefined) {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const [ours, gateway] = await Promise.all([
      graphqlRequest(stack.routerUrl, query, variables, headers),
      graphqlRequest(gatewayUrl, query, variables, headers),
    ]);
    return { ours, gateway };
  }

  const cases: {
    name: string;
    query: () => string;
    variables?: () => Record<string, unknown>;
    as: keyof ReturnType<typeof sessions>;
    /** Error codes the response must carry (from both executors). */
    codes?: string[];
  }[] = [
    {
      name: 'four subgraphs, aliases, __typename and nested entities',
      as: 'guest',
      query: () => `query Mine($id: ID!) {
        __typename
        b: booking(id: $id) {
          __typename id status
          stay: listing { title city host { displayName role } pricePerNight { amount currency } }
          guest { displayName bookings { id status } }
          invoice { id status amount { amount currency } booking { id listing { title } } }
        }
      }`,
      variables: () => ({ id: bookingId }),
    },
    {
      name: 'named fragments, inline fragments and @skip/@include from variables',
      as: 'guest',
      query: () => `fragment Stay on Booking { startsAt endsAt listing { ...Place } }
        fragment Place on Listing { id title ... on Listing { city } }
        query Frag($id: ID!, $withGuest: Boolean!, $noInvoice: Boolean = true) {
          booking(id: $id) { id ...Stay guest @include(if: $withGuest) { displayName } invoice @skip(if: $noInvoice) { id } }
        }`,
      variables: () => ({ id: bookingId, withGuest: true }),
    },
    {
      name: 'a page of listings with their hosts',
      as: 'anonymous',
      query: () => '{ listings(first: 5) { edges { cursor node { id title host { displayName } } } pageInfo { hasNextPage endCursor } } }',
    },
    {
      name: 'fields the viewer may not see are removed, with errors at their paths',
      as: 'anonymous',
      query: () => `query($id: ID!) { listing(id: $id) { title bookings { id } } booking(id: "${randomUUID()}") { id } }`,
      variables: () => ({ id: listingId }),
      codes: ['UNAUTHENTICATED', 'UNAUTHENTICATED'],
    },
    {
      name: "another guest's booking is refused with FORBIDDEN",
      as: 'other',
      query: () => 'query($id: ID!) { booking(id: $id) { id status } }',
      variables: () => ({ id: bookingId }),
      codes: ['FORBIDDEN'],
    },
    {
      name: 'a subgraph error in a mutation keeps its code and path',
      as: 'guest',
      query: () => `mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }`,
      variables: () => ({ input: { listingId, startsAt: '2033-05-02T15:00:00Z', endsAt: '2033-05-01T11:00:00Z', idempotencyKey: randomUUID() } }),
      codes: ['BAD_USER_INPUT'],
    },
    {
      name: 'an admin-only field for an admin',
      as: 'admin',
      query: () => '{ users(first: 3) { edges { node { id email role } } } ledgerTrialBalance { account debits { amount currency } credits { amount currency } } }',
    },
  ];

  it.each(cases.map((entry) => [entry.name, entry] as const))('%s', async (_name, entry) => {
    const run = jest.spyOn(PlanExecution.prototype, 'run');
    try {
      const { ours, gateway } = await both(entry.query(), entry.variables?.() ?? {}, sessions()[entry.as]);
      expect(run).toHaveBeenCalled();
      expect(ours.status).toBe(gateway.status);
      expect(ours.data).toEqual(gateway.data);
      expect(ours.errors).toEqual(gateway.errors);
      expect(ours.errors?.map((error) => error.extensions?.code)).toEqual(entry.codes);
      if (!entry.codes) expect(ours.data).toBeTruthy();
    } finally {
      run.mockRestore();
    }
  });

  it('keeps aliases named like members of every object (__proto__, constructor, toString, hasOwnProperty)', async () => {
    const run = jest.spyOn(PlanExecution.prototype, 'run');
    try {
      for (const query of [
        '{ __proto__: listings(first: 1) { edges { node { __proto__: id } } } }',
        // host comes from accounts in an entity fetch, merged under these keys and a flatten path through them.
        `{ __proto__: listings(first: 1) { edges { constructor: node { toString: title hasOwnProperty: host { __proto__: displayName constructor: id } } } }
           constructor: listings(first: 1) { toString: edges { node { id } } } }`,
      ]) {
        const body = JSON.stringify({ query });
        const [ours, gateway] = await Promise.all(
          [stack.routerUrl, gatewayUrl].map(async (url) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text()),
        );
        // The very same bytes on the wire (both end the JSON with a newline, as Apollo Server does).
        expect(ours).toBe(gateway);
        expect(ours).toMatch(/^\{"data":\{"__proto__":\{"edges":\[\{"(node":\{"__proto__":"|constructor":\{"toString":")[^"]+"/);
      }
      expect(run).toHaveBeenCalledTimes(2);
      // Nothing leaked onto the prototype every object shares.
      expect(Object.keys(Object.prototype)).toEqual([]);
    } finally {
      run.mockRestore();
    }
  });

  it('never lets one kind of viewer reuse what was prepared for another', async () => {
    const query = '{ users(first: 2) { edges { node { id } } } listings(first: 1) { edges { node { id } } } }';
    const asAdmin = await stack.query<{ users: { edges: unknown[] } | null }>(query, {}, admin.accessToken);
    expect(asAdmin.errors).toBeUndefined();
    expect(asAdmin.data?.users?.edges.length).toBeGreaterThan(0);
    const asGuest = await stack.query(query, {}, guest.accessToken);
    expect(asGuest.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([[['users'], 'FORBIDDEN']]);
    const asAnonymous = await stack.query(query, {});
    expect(asAnonymous.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([[['users'], 'UNAUTHENTICATED']]);
    expect(asAnonymous.data).toMatchObject({ listings: { edges: [{ node: { id: expect.any(String) } }] } });
  });

  it('negotiates the response media type as Apollo Server does', async () => {
    const body = JSON.stringify({ query: '{ listings(first: 1) { edges { node { id } } } }' });
    for (const accept of ['application/graphql-response+json,application/json;q=0.9', 'application/json', '*/*', 'application/json, application/graphql-response+json']) {
      const [ours, gateway] = await Promise.all(
        [stack.routerUrl, gatewayUrl].map((url) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body })),
      );
      expect(`${accept} → ${ours?.headers.get('content-type')}`).toBe(`${accept} → ${gateway?.headers.get('content-type')}`);
      await Promise.all([ours?.text(), gateway?.text()]);
    }
  });

  // Answered without a plan (requestErrors.e2e compares their bytes): nothing is executed.
  it('runs no plan for syntax errors, bad variables and introspection, and answers them as the gateway does', async () => {
    const run = jest.spyOn(PlanExecution.prototype, 'run');
    try {
      for (const [query, variables] of [
        ['{ listings(first: 1) { edges { node { id } }', {}],
        ['query($id: ID!) { listing(id: $id) { id } }', { id: 42.5 }],
        ['{ __schema { queryType { name } } }', {}],
      ] as const) {
        const { ours, gateway } = await both(query, variables, undefined);
        expect(ours.status).toBe(gateway.status);
        expect(ours.data).toEqual(gateway.data);
        expect(ours.errors).toEqual(gateway.errors);
      }
      expect(run).not.toHaveBeenCalled();
    } finally {
      run.mockRestore();
    }
  });
});
