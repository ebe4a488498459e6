import { randomUUID } from 'node:crypto';
import { createListingThroughRouter, graphqlRequestBody, registerThroughRouter, startStack, type RegisteredSession, type Stack } from '@booking/testkit';

const LISTING = 'query Listing($id: ID!) { listing(id: $id) { id title pricePerNight { amount currency } category { name } host { displayName } } }';

/**
 * Cache-Control computed from the subgraphs' @cacheControl hints, on responses of the real
 * router: its own executor (POST) and Apollo Server's path (GET, and ROUTER_EXECUTOR=gateway).
 */
describe('Cache-Control on router responses', () => {
  let stack: Stack;
  let gatewayUrl: string;
  let listingId: string;
  let guest: RegisteredSession;

  async function post(url: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: graphqlRequestBody(query, variables), signal: AbortSignal.timeout(30_000) });
    const body = (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
    return { status: response.status, cacheControl: response.headers.get('cache-control'), body };
  }

  async function get(url: string, query: string, variables: Record<string, unknown> = {}) {
    const search = new URLSearchParams({ query, variables: JSON.stringify(variables) });
    // A GET with a preflight header: CSRF prevention lets it through, as it does a CDN's client.
    const response = await fetch(`${url}?${search}`, { headers: { 'apollo-require-preflight': 'true' }, signal: AbortSignal.timeout(30_000) });
    const body = (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
    return { status: response.status, cacheControl: response.headers.get('cache-control'), body };
  }

  beforeAll(async () => {
    stack = await startStack();
    gatewayUrl = (await stack.startRouter({ ROUTER_EXECUTOR: 'gateway' })).url;
    const tag = randomUUID().slice(0, 8);
    const host = await registerThroughRouter(stack, `cc-host-${tag}@e2e.example`, 'HOST');
    guest = await registerThroughRouter(stack, `cc-guest-${tag}@e2e.example`);
    listingId = await createListingThroughRouter(stack, host, { title: 'Header loft', city: 'Lyon', capacity: 2, pricePerNight: { amount: 7000, currency: 'EUR' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a public query asked anonymously is cacheable by anyone for its smallest max age (Listing: 60 s)', async () => {
    const routerPost = await post(stack.routerUrl, LISTING, { id: listingId });
    expect(routerPost.body.errors).toBeUndefined();
    expect(routerPost.cacheControl).toBe('max-age=60, public');
    // Category (600 s) and User (60 s) do not lower it; pricePerNight inherits the listing's.
    const viaGet = await get(stack.routerUrl, LISTING, { id: listingId });
    expect(viaGet.body).toEqual(routerPost.body);
    expect(viaGet.cacheControl).toBe('max-age=60, public');
    const viaGateway = await post(gatewayUrl, LISTING, { id: listingId });
    expect(viaGateway.body).toEqual(routerPost.body);
    expect(viaGateway.cacheControl).toBe('max-age=60, public');
    const categories = await get(stack.routerUrl, '{ categories { slug } }');
    expect(categories.body.errors).toBeUndefined();
    expect(categories.cacheControl).toBe('max-age=600, public');
  });

  it('anything PRIVATE, unhinted, signed in, mutating or failing is no-store', async () => {
    const cases = await Promise.all([
      // A user's email is PRIVATE (10 s): no shared cache, and none of the browser's either.
      post(stack.routerUrl, 'query($id: ID!) { listing(id: $id) { host { email } } }', { id: listingId }),
      // A connection has no hint: max age 0.
      get(stack.routerUrl, '{ listings(first: 1) { edges { node { id } } } }'),
      // A root field restricting nothing: never an unbounded max age.
      get(stack.routerUrl, '{ __typename }'),
      post(gatewayUrl, '{ __typename }'),
      // Signed in: the answer may depend on who asks.
      post(stack.routerUrl, LISTING, { id: listingId }, { authorization: `Bearer ${guest.accessToken}` }),
      post(gatewayUrl, LISTING, { id: listingId }, { authorization: `Bearer ${guest.accessToken}` }),
      // Errors: an @authenticated field asked anonymously, on both executors.
      post(stack.routerUrl, 'query($id: ID!) { listing(id: $id) { id bookings { id } } }', { id: listingId }),
      post(gatewayUrl, 'query($id: ID!) { listing(id: $id) { id bookings { id } } }', { id: listingId }),
      // Refused by the stages (a syntax error) and a mutation.
      post(stack.routerUrl, '{ listing(id: "1") { '),
      post(stack.routerUrl, 'mutation { logout(refreshToken: "not-a-token") }'),
    ]);
    expect(cases.map((answer) => answer.cacheControl)).toEqual(cases.map(() => 'no-store'));
    // The failing ones did fail (the header is not no-store by accident of an empty answer).
    expect(cases[6]?.body.errors?.[0]?.extensions?.code).toBeDefined();
    expect(cases[7]?.body.errors?.[0]?.extensions?.code).toBeDefined();
    expect(cases[4]?.body.errors).toBeUndefined();
    expect(cases[5]?.body.errors).toBeUndefined();
    expect(cases[9]?.body.errors).toBeUndefined();
  });
});
