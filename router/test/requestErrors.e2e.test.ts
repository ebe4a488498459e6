import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getIntrospectionQuery } from 'graphql';
import { importJWK, SignJWT } from 'jose';
import { activeSigningKey, startStack, type Stack } from '@booking/testkit';
import type { Router } from '../src/router';
import { buildManifest } from '../src/pipeline/trustedDocuments';

/** What a client sees of an answer: status, headers (content type, Allow, Cache-Control…) and the body's very bytes. */
interface RawAnswer {
  readonly status: number;
  readonly contentType: string | null;
  readonly allow: string | null;
  readonly cacheControl: string | null;
  /** Every header but those that differ per request (PER_REQUEST). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

interface Sent {
  readonly method?: 'GET' | 'POST';
  readonly body?: unknown;
  /** GET: the request's search parameters. */
  readonly search?: Record<string, string>;
  readonly headers?: Record<string, string>;
}

/** Headers that differ from one request to the next whoever answers (x-request-id: each request's own). */
const PER_REQUEST = new Set(['date', 'connection', 'keep-alive', 'x-request-id']);

function headersOf(response: Response): Record<string, string> {
  return Object.fromEntries([...response.headers].filter(([name]) => !PER_REQUEST.has(name)));
}

async function send(url: string, sent: Sent): Promise<RawAnswer> {
  const get = sent.method === 'GET';
  const response = await fetch(get ? `${url}?${new URLSearchParams(sent.search)}` : url, {
    method: get ? 'GET' : 'POST',
    // A GET must pass CSRF prevention as any browser-issued one would have to.
    headers: get ? { 'apollo-require-preflight': 'true', ...sent.headers } : { 'content-type': 'application/json', ...sent.headers },
    body: get ? undefined : JSON.stringify(sent.body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, contentType: response.headers.get('content-type'), allow: response.headers.get('allow'), cacheControl: response.headers.get('cache-control'), headers: headersOf(response), body: await response.text() };
}

/** router_gateway_requests_total of one router, summed over its reasons. */
async function gatewayRequests(router: Router): Promise<Record<string, number>> {
  const metric = await router.metrics?.registry.getSingleMetric('router_gateway_requests_total')?.get();
  return Object.fromEntries((metric?.values ?? []).map(({ labels, value }) => [String(labels.reason), value]));
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, value) => sum + value, 0);

const LISTINGS = 'query Listings { listings(first: 2) { edges { node { id title } } } }';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Requests refused before anything runs, introspection, GET and persisted queries: the router's
 * own executor answers them itself, with the same status, content type and body bytes as the
 * Apollo Server + @apollo/gateway path (ROUTER_EXECUTOR=gateway), and the default router never
 * hands a request to @apollo/gateway.
 */
describe('refused requests, introspection, GET and persisted queries on the router executor', () => {
  let stack: Stack;
  let folder: string;
  const urls = { ours: '', gateway: '', oursClosed: '', gatewayClosed: '', oursSafelist: '', gatewaySafelist: '' };
  let gatewayRouter: Router;
  /** Every router on the router executor: none may hand anything to @apollo/gateway. */
  const ourRouters: Router[] = [];

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'request-errors-'));
    writeFileSync(join(folder, 'listings.graphql'), LISTINGS);
    writeFileSync(join(folder, 'manifest.json'), JSON.stringify(buildManifest(folder)));
    stack = await startStack();
    urls.ours = stack.routerUrl;
    const gateway = await stack.startRouter({ ROUTER_EXECUTOR: 'gateway' });
    gatewayRouter = gateway.router;
    urls.gateway = gateway.url;
    const closed = await stack.startRouter({ INTROSPECTION: 'false' });
    urls.oursClosed = closed.url;
    urls.gatewayClosed = (await stack.startRouter({ INTROSPECTION: 'false', ROUTER_EXECUTOR: 'gateway' })).url;
    const safelist = { PERSISTED_QUERIES: 'safelist', PERSISTED_QUERIES_MANIFEST: join(folder, 'manifest.json') };
    const safelisting = await stack.startRouter(safelist);
    urls.oursSafelist = safelisting.url;
    ourRouters.push(stack.router, closed.router, safelisting.router);
    urls.gatewaySafelist = (await stack.startRouter({ ...safelist, ROUTER_EXECUTOR: 'gateway' })).url;
  });
  afterAll(async () => {
    await stack?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  /** The same request to both executors: the answers must be the same, byte for byte. */
  async function both(sent: Sent, pair: 'open' | 'closed' | 'safelist' = 'open'): Promise<RawAnswer> {
    const [ours, gateway] =
      pair === 'open' ? [urls.ours, urls.gateway] : pair === 'closed' ? [urls.oursClosed, urls.gatewayClosed] : [urls.oursSafelist, urls.gatewaySafelist];
    const [fromOurs, fromGateway] = await Promise.all([send(ours, sent), send(gateway, sent)]);
    expect(fromOurs).toEqual(fromGateway);
    return fromOurs;
  }

  async function expiredToken(): Promise<string> {
    const key = await activeSigningKey(stack.subgraphs.accounts);
    return new SignJWT({ role: 'GUEST', scope: 'profile' })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' })
      .setSubject(randomUUID())
      .setIssuer('booking-supergraph/accounts')
      .setAudience('booking-supergraph')
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(await importJWK(key.privateJwk, 'ES256'));
  }

  const codeOf = (answer: RawAnswer): unknown => (JSON.parse(answer.body) as { errors?: { extensions?: { code?: unknown } }[] }).errors?.[0]?.extensions?.code;

  it.each([
    ['a syntax error', { query: '{ listings(first: 2) { edges { node { id }' }, 400, 'GRAPHQL_PARSE_FAILED'],
    ['an unknown field (with a suggestion)', { query: '{ listings(first: 2) { edges { node { idd tittle } } } }' }, 400, 'GRAPHQL_VALIDATION_FAILED'],
    ['a wrong variable type', { query: 'query L($first: Int!) { listings(first: $first) { edges { node { id } } } }', variables: { first: 'two' } }, 400, 'BAD_USER_INPUT'],
    ['a missing required variable', { query: 'query L($id: ID!) { listing(id: $id) { id } }', variables: {} }, 400, 'BAD_USER_INPUT'],
    ['a null for a non-null variable, among several errors', { query: 'query L($id: ID!, $first: Int!) { listing(id: $id) { id } listings(first: $first) { edges { node { id } } } }', variables: { id: null, first: 1.5 } }, 400, 'BAD_USER_INPUT'],
    // The gateway path authorizes before it coerces variables.
    ['wrong variables of an operation the caller may not run at all (its denial)', { query: 'query B($id: ID!) { booking(id: $id) { id } }', variables: {} }, 200, 'UNAUTHENTICATED'],
    ['wrong variables of an operation denied in part (the denial, then the variables)', { query: 'query B($id: ID!, $first: Int!) { booking(id: $id) { id } listings(first: $first) { edges { node { id } } } }', variables: { id: null, first: 1.5 } }, 400, 'UNAUTHENTICATED'],
    [
      'a variable a custom scalar refuses',
      { query: 'query Q($s: DateTimeISO!) { quote(listingId: "1", startsAt: $s, endsAt: "2033-01-02T00:00:00Z") { __typename } }', variables: { s: 'tomorrow' } },
      400,
      'BAD_USER_INPUT',
    ],
    ['a literal a custom scalar refuses', { query: '{ quote(listingId: "1", startsAt: "tomorrow", endsAt: "2033-01-02T00:00:00Z") { __typename } }' }, 400, 'BAD_USER_INPUT'],
    ['an unknown operation name', { query: LISTINGS, operationName: 'Nope' }, 400, 'OPERATION_RESOLUTION_FAILURE'],
    ['a subscription over plain HTTP (no streaming Accept)', { query: 'subscription S($id: ID!) { availabilityChanged(listingId: $id) { __typename } }', variables: { id: '1' } }, 400, 'SUBSCRIPTIONS_NOT_SUPPORTED'],
    ['several operations and no name', { query: `${LISTINGS} query Other { categories { id } }` }, 400, 'OPERATION_RESOLUTION_FAILURE'],
  ])('answers %s as Apollo Server does', async (_name, body, status, code) => {
    const answer = await both({ body });
    expect([answer.status, codeOf(answer)]).toEqual([status, code]);
    // As the graphql-response+json media type asks too.
    const negotiated = await both({ body, headers: { accept: 'application/graphql-response+json' } });
    expect(negotiated.contentType).toBe('application/graphql-response+json; charset=utf-8');
  });

  it('refuses a malformed token, the wrong scheme and an expired token with 401 UNAUTHENTICATED, before reading the operation', async () => {
    for (const authorization of ['Bearer not.a.jwt', 'Basic abc', `Bearer ${await expiredToken()}`]) {
      // A syntax error too: the token is refused first.
      for (const query of [LISTINGS, '{ listings {']) {
        const answer = await both({ body: { query }, headers: { authorization } });
        expect([answer.status, codeOf(answer)]).toEqual([401, 'UNAUTHENTICATED']);
      }
    }
    const expired = await both({ body: { query: LISTINGS }, headers: { authorization: `Bearer ${await expiredToken()}` } });
    expect(JSON.parse(expired.body)).toEqual({ errors: [{ message: 'Unauthenticated: the access token has expired', extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('refuses a malformed x-request-timeout-ms with 400 BAD_REQUEST, before the token', async () => {
    const malformed: Record<string, string>[] = [{ 'x-request-timeout-ms': 'soon' }, { 'x-request-timeout-ms': '0', authorization: 'Bearer not.a.jwt' }];
    for (const headers of malformed) {
      const answer = await both({ body: { query: LISTINGS }, headers });
      expect([answer.status, codeOf(answer)]).toEqual([400, 'BAD_REQUEST']);
    }
  });

  it('answers introspection from the API schema: the standard query, __type with a variable, beside __typename', async () => {
    // Our executor runs @defer (deferredDelivery.ts), so its schema declares the directive, as
    // Apollo Router's does; the gateway's does not. Everything else is the same, byte for byte.
    const sent: Sent = { body: { query: getIntrospectionQuery() } };
    const [full, fromGateway] = await Promise.all([send(urls.ours, sent), send(urls.gateway, sent)]);
    expect(full.status).toBe(200);
    const schema = JSON.parse(full.body) as { data: { __schema: { queryType: unknown; directives: { name: string; locations: string[] }[] } } };
    expect(schema.data.__schema.queryType).toMatchObject({ name: 'Query' });
    expect(schema.data.__schema.directives.find((directive) => directive.name === 'defer')).toMatchObject({ locations: ['FRAGMENT_SPREAD', 'INLINE_FRAGMENT'] });
    schema.data.__schema.directives = schema.data.__schema.directives.filter((directive) => directive.name !== 'defer');
    expect(`${JSON.stringify(schema)}\n`).toBe(fromGateway.body);
    const withoutLength = ({ body: _body, headers: { 'content-length': _length, ...headers }, ...rest }: RawAnswer) => ({ ...rest, headers });
    expect(withoutLength(full)).toEqual(withoutLength(fromGateway));
    const typed = await both({ body: { query: 'query T($name: String!) { __typename t: __type(name: $name) { name fields { name } } ...F } fragment F on Query { __schema { mutationType { name } } }', variables: { name: 'Listing' } } });
    expect(JSON.parse(typed.body).data.t.name).toBe('Listing');
    // With what the stages add when asked (the cost, the plan).
    const asked = await both({ body: { query: '{ __type(name: "Query") { name } }' }, headers: { 'graphql-expose-cost': 'true', 'apollo-expose-query-plan': 'true' } });
    expect(JSON.parse(asked.body).data).toEqual({ __type: { name: 'Query' } });
    const dryRun = await both({ body: { query: '{ __type(name: "Query") { name } }' }, headers: { 'apollo-expose-query-plan': 'dry-run' } });
    expect(JSON.parse(dryRun.body).data).toBeUndefined();
    // Beside data: the plan fetches the data, graphql-js answers the introspection, in place.
    const mixed = await both({
      body: {
        query: 'query Mixed($name: String!) { first: listings(first: 2) { edges { node { id title } } } t: __type(name: $name) { name fields { name } } __typename __schema { queryType { name } } }',
        variables: { name: 'Listing' },
      },
    });
    const mixedData = JSON.parse(mixed.body).data;
    expect(Object.keys(mixedData)).toEqual(['first', 't', '__typename', '__schema']);
    expect(Array.isArray(mixedData.first.edges)).toBe(true);
    expect(mixedData.t.name).toBe('Listing');
    const get = await both({ method: 'GET', search: { query: '{ __schema { queryType { name } } }' } });
    expect(JSON.parse(get.body)).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });

  it('refuses introspection with INTROSPECTION=false (__typename still works) and still enforces the depth limit', async () => {
    const refused = await both({ body: { query: '{ __schema { types { name } } t: __type(name: "Listing") { name } }' } }, 'closed');
    expect([refused.status, codeOf(refused)]).toEqual([400, 'GRAPHQL_VALIDATION_FAILED']);
    expect(JSON.parse(refused.body).errors).toHaveLength(2);
    const typename = await both({ body: { query: '{ __typename }' } }, 'closed');
    expect(JSON.parse(typename.body)).toEqual({ data: { __typename: 'Query' } });
    // Deeper than MAX_OPERATION_DEPTH (20): the protection stages refuse it before any executor.
    const deep = `{ __schema { types { ${'ofType { '.repeat(25)}name${' }'.repeat(25)} } } }`;
    for (const pair of ['open', 'closed'] as const) {
      const tooDeep = await both({ body: { query: deep } }, pair);
      expect([tooDeep.status, codeOf(tooDeep)]).toEqual([400, 'MAX_DEPTH_LIMIT']);
    }
  });

  it('answers 406 to any single result the Accept header does not take, as Apollo Server does, and runs nothing', async () => {
    const refused = [
      { body: { query: LISTINGS } },
      { body: { query: '{ listings(first: 2) { edges { node { id }' } },
      { body: { query: getIntrospectionQuery() } },
      { body: { query: LISTINGS, operationName: 'Nope' } },
      { method: 'GET' as const, search: { query: LISTINGS } },
    ];
    for (const sent of refused) {
      for (const accept of ['text/plain', 'application/xml, text/csv;q=0.5', 'multipart/mixed;deferSpec=20220824']) {
        const answer = await both({ ...sent, headers: { accept } });
        expect([answer.status, answer.contentType, answer.cacheControl, codeOf(answer)]).toEqual([406, 'application/json; charset=utf-8', 'no-store', 'BAD_REQUEST']);
        expect(JSON.parse(answer.body).errors[0].message).toBe(
          "An 'accept' header was provided for this request which does not accept application/json; charset=utf-8 or application/graphql-response+json; charset=utf-8",
        );
      }
    }
    // A context refusal comes first, whatever the Accept header says (JSON, as Apollo Server sends it).
    const unauthenticated = await both({ body: { query: LISTINGS }, headers: { accept: 'text/plain', authorization: 'Bearer not.a.jwt' } });
    expect([unauthenticated.status, unauthenticated.contentType, codeOf(unauthenticated)]).toEqual([401, 'application/json; charset=utf-8', 'UNAUTHENTICATED']);
    // The third type Apollo Server offers a single result.
    const callback = await both({ body: { query: LISTINGS }, headers: { accept: 'application/json; callbackSpec=1.0' } });
    expect([callback.status, callback.contentType]).toEqual([200, 'application/json; callbackSpec=1.0; charset=utf-8']);
    // Apollo Server makes the mutation and then refuses its answer; the router refuses before it
    // runs: the e-mail address it would register stays free.
    const email = `accept-${randomUUID()}@example.com`;
    const register = { query: 'mutation R($input: RegisterInput!) { register(input: $input) { user { email } } }', variables: { input: { displayName: 'Accept', email, password: 'correct horse battery staple' } } };
    const unacceptable = await send(urls.ours, { body: register, headers: { accept: 'text/plain' } });
    expect(unacceptable.status).toBe(406);
    const made = await send(urls.ours, { body: register });
    expect(JSON.parse(made.body)).toEqual({ data: { register: { user: { email } } } });
  });

  it('runs a GET query and refuses a GET mutation as Apollo Server does', async () => {
    const query = await both({ method: 'GET', search: { query: LISTINGS } });
    expect(query.status).toBe(200);
    expect(JSON.parse(query.body).data.listings).toBeDefined();
    const mutation = await both({ method: 'GET', search: { query: 'mutation { logout(refreshToken: "x") }' } });
    expect([mutation.status, mutation.allow, codeOf(mutation)]).toEqual([405, 'POST', 'BAD_REQUEST']);
    expect(JSON.parse(mutation.body).errors[0].message).toBe('GET requests only support query operations, not mutation operations');
    const invalid = await both({ method: 'GET', search: { query: '{ nope }' } });
    expect(codeOf(invalid)).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('registers and serves an automatic persisted query', async () => {
    const text = `query Apq { listings(first: 1) { edges { node { id } } } categories { id } } # ${randomUUID()}`;
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(text) } };
    const unknown = await both({ body: { extensions } });
    expect(codeOf(unknown)).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await both({ body: { query: text, extensions } });
    expect(JSON.parse(registered.body).data.categories).toBeDefined();
    const byHash = await both({ body: { extensions } });
    expect(byHash.body).toBe(registered.body);
    const overGet = await both({ method: 'GET', search: { extensions: JSON.stringify(extensions) } });
    expect(overGet.body).toBe(registered.body);
  });

  it('serves a trusted document by its id', async () => {
    const [listed] = buildManifest(folder).operations;
    if (!listed) throw new Error('no operation in the manifest');
    const byId = await both({ body: { extensions: { persistedQuery: { version: 1, sha256Hash: listed.id } } } }, 'safelist');
    expect(JSON.parse(byId.body).data.listings).toBeDefined();
  });

  it('hands no request to @apollo/gateway on the default router; the gateway router counts each', async () => {
    for (const router of ourRouters) expect(total(await gatewayRequests(router))).toBe(0);
    expect((await gatewayRequests(gatewayRouter)).executor_gateway).toBeGreaterThan(10);
  });
});
