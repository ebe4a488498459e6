import { graphqlRequest, insertBookingRows, OPERATION_LIMITS_OFF, registerThroughRouter, startStack, type GraphQLResponse, type Stack, type TestSession } from '@booking/testkit';
import { MAX_PATHS_PER_COORDINATE } from '../src/auth/operationAuthorizer';

const LISTINGS = ['Paths loft', 'Paths cabin', 'Paths flat'];

/**
 * Errors carry their full response path, list indices included, one error per item that
 * failed (GraphQL spec, "Errors"), on our executor exactly as on ROUTER_EXECUTOR=gateway:
 * fields the router's authorization removed, and subgraph errors from entity fetches.
 */
describe('error paths with list indices', () => {
  let stack: Stack;
  let gatewayUrl: string;
  let host: TestSession;

  beforeAll(async () => {
    // The path cap is tested with more aliases than MAX_OPERATION_ALIASES lets through.
    stack = await startStack({ routerEnv: OPERATION_LIMITS_OFF });
    gatewayUrl = (await stack.startRouter({ ROUTER_EXECUTOR: 'gateway' })).url;
    host = await registerThroughRouter(stack, 'paths-host@e2e.example', 'HOST');
    for (const title of LISTINGS) {
      const created = await stack.query(
        'mutation($input: CreateListingInput!) { createListing(input: $input) { id } }',
        { input: { title, city: 'Porto', capacity: 2, pricePerNight: { amount: 9000, currency: 'EUR' } } },
        host.accessToken,
      );
      expect(created.errors).toBeUndefined();
    }
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** Both executors' answers, which must be the same. */
  async function both(query: string, token?: string): Promise<GraphQLResponse> {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const [ours, gateway] = await Promise.all([graphqlRequest(stack.routerUrl, query, {}, headers), graphqlRequest(gatewayUrl, query, {}, headers)]);
    expect(ours.data).toEqual(gateway.data);
    expect(ours.errors).toEqual(gateway.errors);
    return ours;
  }
  const paths = (response: GraphQLResponse) => response.errors?.map((error) => [error.path?.join('.'), error.extensions?.code]);

  it('reports a field removed by authorization once per list item, at its index', async () => {
    const response = await both('{ listings(first: 10) { edges { node { title bookings { id } } } } }');
    expect(paths(response)).toEqual(LISTINGS.map((_title, index) => [`listings.edges.${index}.node.bookings`, 'UNAUTHENTICATED']));
    expect(response.data).toEqual({ listings: { edges: LISTINGS.map((title) => ({ node: { title } })) } });
  });

  it('places it under the items whose parent lost every field, with the rest of the path from the document', async () => {
    const response = await both('{ listings(first: 10) { edges { cursor node { bookings { id } } } } }');
    expect(paths(response)).toEqual(LISTINGS.map((_title, index) => [`listings.edges.${index}.node.bookings`, 'UNAUTHENTICATED']));
  });

  it(`reports at most ${MAX_PATHS_PER_COORDINATE} paths per field, then one error saying more were left out`, async () => {
    const aliases = Array.from({ length: 34 }, (_, index) => `b${index}: bookings { id }`).join(' ');
    const response = await both(`{ listings(first: 10) { edges { node { id ${aliases} } } } }`);
    const errors = response.errors ?? [];
    expect(errors).toHaveLength(MAX_PATHS_PER_COORDINATE + 1);
    expect(errors.slice(0, 3).map((error) => error.path?.join('.'))).toEqual(['listings.edges.0.node.b0', 'listings.edges.1.node.b0', 'listings.edges.2.node.b0']);
    expect(new Set(errors.slice(0, MAX_PATHS_PER_COORDINATE).map((error) => error.path?.join('.'))).size).toBe(MAX_PATHS_PER_COORDINATE);
    expect(errors[MAX_PATHS_PER_COORDINATE]).toEqual({
      message: `Unauthenticated: Listing.bookings requires a signed-in user (also at more response paths than the ${MAX_PATHS_PER_COORDINATE} reported)`,
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('reports an entity fetch error at every item that shares the entity', async () => {
    // The host made 101 bookings as a guest: User.bookings returns 100 and LIST_TRUNCATED. The
    // host is the same User under each of the three listings, asked of bookings once.
    await insertBookingRows(stack.subgraphs.bookings, { guestId: host.userId, count: 101 });
    const response = await both('{ listings(first: 10) { edges { node { host { bookings { id } } } } } }', host.accessToken);
    expect(paths(response)).toEqual(LISTINGS.map((_title, index) => [`listings.edges.${index}.node.host.bookings`, 'LIST_TRUNCATED']));
  });
});
