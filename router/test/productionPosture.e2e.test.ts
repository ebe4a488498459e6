import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { routerCallSigner, SUBGRAPH_NAMES, type SubgraphName } from '@booking/runtime';
import {
  connectSubscriptions,
  createTestDatabase,
  findFreePort,
  graphqlRequestBody,
  killServiceProcesses,
  LOG_LEVELS,
  startServiceProcess,
  TEST_SIGNING_KEY_ENCRYPTION_KEY,
  TEST_SIGNING_SECRET,
  testKeyPrefix,
  testRedisUrl,
  type LogLine,
  type ServiceProcess,
  type TestDatabase,
} from '@booking/testkit';
import { Client } from 'pg';

/**
 * The production profile end to end: the four subgraphs and two routers as their own processes
 * with NODE_ENV=production (as the container image runs them), on real PostgreSQL and Redis.
 * Introspection is refused, no error body from a router or a subgraph carries a stack trace,
 * and subgraph errors reach clients masked (SUBGRAPH_ERRORS defaults to mask there) unless
 * their code is one clients rely on; with SUBGRAPH_ERRORS=pass the subgraph's message comes through.
 *
 * Two honest subgraph failures: a router whose supergraph declares a field catalog does not
 * have (a supergraph composed ahead of the deployed subgraph: catalog refuses the router's query
 * with GRAPHQL_VALIDATION_FAILED and a message about its own schema), and catalog's `listings`
 * table gone from under it (a raw database error inside a resolver).
 */

const ROOT = resolve(__dirname, '..', '..');

interface Subgraph {
  readonly process: ServiceProcess;
  readonly graphqlUrl: string;
  readonly database: TestDatabase;
}

const subgraphs = {} as Record<SubgraphName, Subgraph>;
let masked: { process: ServiceProcess; url: string };
let passing: { process: ServiceProcess; url: string };
let supergraphDir: string;

/** Every body any request of this file received, checked at the end for stack traces. */
const bodies: { what: string; text: string }[] = [];

async function startSubgraph(name: SubgraphName, keyPrefix: string): Promise<Subgraph> {
  const database = await createTestDatabase(`posture_${name}`);
  const port = await findFreePort();
  const process = startServiceProcess(name, {
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    [`${name.toUpperCase()}_DATABASE_URL`]: database.url,
    ROUTER_SIGNING_SECRET: TEST_SIGNING_SECRET,
    REDIS_URL: testRedisUrl(),
    EVENT_KEY_PREFIX: keyPrefix,
    ...(name === 'accounts' ? { SIGNING_KEY_ENCRYPTION_KEY: TEST_SIGNING_KEY_ENCRYPTION_KEY } : {}),
  });
  await process.waitUntilReady(`http://127.0.0.1:${port}/ready`, 60_000);
  return { process, graphqlUrl: `http://127.0.0.1:${port}/graphql`, database };
}

async function startRouter(supergraphPath: string, keyPrefix: string, env: Record<string, string> = {}) {
  const port = await findFreePort();
  const process = startServiceProcess('router', {
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ROUTER_SIGNING_SECRET: TEST_SIGNING_SECRET,
    REDIS_URL: testRedisUrl(),
    EVENT_KEY_PREFIX: keyPrefix,
    SUPERGRAPH_PATH: supergraphPath,
    SUPERGRAPH_WATCH: 'false',
    JWKS_URL: subgraphs.accounts.graphqlUrl.replace(/\/graphql$/, '/.well-known/jwks.json'),
    ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, subgraphs[name].graphqlUrl])),
    ...env,
  });
  await process.waitUntilReady(`http://127.0.0.1:${port}/ready`, 60_000);
  return { process, url: `http://127.0.0.1:${port}/graphql` };
}

/** The committed supergraph plus a query and a subscription field routed to catalog, which catalog does not have. */
function driftedSupergraph(): string {
  const sdl = readFileSync(resolve(ROOT, 'schema', 'supergraph.graphql'), 'utf8');
  const drifted = sdl
    .replace(/(type Query\n(?:\s+@join__type\(graph: [A-Z]+\)\n)+\{\n)/, '$1  catalogDrift: String @join__field(graph: CATALOG)\n\n')
    .replace(/(type Subscription\n(?:\s+@join__type\(graph: [A-Z]+\)\n)+\{\n)/, '$1  catalogDriftUpdated: String @join__field(graph: CATALOG)\n\n');
  if ((drifted.match(/catalogDrift/g) ?? []).length !== 2) throw new Error('the supergraph no longer has the shape this test edits');
  supergraphDir = mkdtempSync(join(tmpdir(), 'posture-'));
  const path = join(supergraphDir, 'supergraph.graphql');
  writeFileSync(path, drifted);
  return path;
}

interface ErrorBody {
  readonly data?: unknown;
  readonly errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

async function call(what: string, url: string, init: RequestInit): Promise<{ status: number; body: ErrorBody; text: string }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  bodies.push({ what, text });
  return { status: response.status, body: JSON.parse(text) as ErrorBody, text };
}

function post(what: string, url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
  return call(what, url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: graphqlRequestBody(query, variables) });
}

function get(what: string, url: string, query: string, variables?: Record<string, unknown>) {
  const search = new URLSearchParams({ query, ...(variables ? { variables: JSON.stringify(variables) } : {}) });
  return call(what, `${url}?${search}`, { headers: { 'apollo-require-preflight': 'true' } });
}

/** A call as the router makes it, signed for `name`. */
function signedPost(what: string, name: SubgraphName, query: string) {
  const body = graphqlRequestBody(query);
  return call(what, subgraphs[name].graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...routerCallSigner(TEST_SIGNING_SECRET, null).request(name, body) }, body });
}

/** A multipart subscription's whole stream (it ends after a refusal). */
async function multipart(what: string, url: string, query: string): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'multipart/mixed;subscriptionSpec=1.0' },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  bodies.push({ what, text });
  return text;
}

const INTERNAL_ERROR = { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'catalog' } };
/** A request's line: with SUBGRAPH_ERRORS=mask it carries a masked error's original, and is a warning. */
const requestLine = (requestId: string) => (line: LogLine) => line.requestId === requestId && line.msg === 'request';

beforeAll(async () => {
  const keyPrefix = testKeyPrefix('posture');
  const started = await Promise.all(SUBGRAPH_NAMES.map(async (name) => [name, await startSubgraph(name, keyPrefix)] as const));
  for (const [name, subgraph] of started) subgraphs[name] = subgraph;
  const supergraphPath = driftedSupergraph();
  [masked, passing] = await Promise.all([
    startRouter(supergraphPath, keyPrefix),
    startRouter(supergraphPath, keyPrefix, { SUBGRAPH_ERRORS: 'pass', INTROSPECTION: 'true' }),
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all([masked?.process.stop(), passing?.process.stop(), ...Object.values(subgraphs).map((subgraph) => subgraph.process.stop())]);
  killServiceProcesses();
  await Promise.all(Object.values(subgraphs).map((subgraph) => subgraph.database.drop()));
  if (supergraphDir) rmSync(supergraphDir, { recursive: true, force: true });
});

describe('the production profile (NODE_ENV=production)', () => {
  test('the routers say at start which posture is in force', async () => {
    expect(await masked.process.waitForLine((line) => line.msg === 'router listening')).toMatchObject({ profile: 'production', introspection: false, subgraphErrors: 'mask' });
    expect(await passing.process.waitForLine((line) => line.msg === 'router listening')).toMatchObject({ profile: 'production', introspection: true, subgraphErrors: 'pass' });
  });

  test('introspection is refused, over POST and GET, with GRAPHQL_VALIDATION_FAILED; INTROSPECTION=true allows it', async () => {
    for (const query of ['{ __schema { queryType { name } } }', '{ __type(name: "Query") { name } }', '{ listings(first: 1) { __typename } __schema { types { name } } }']) {
      for (const refused of [await post('introspection POST', masked.url, query), await get('introspection GET', masked.url, query)]) {
        expect(refused.status).toBe(400);
        expect(refused.body.data).toBeUndefined();
        expect(refused.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
        expect(refused.body.errors?.[0]?.message).toMatch(/introspection is not allowed/i);
      }
    }
    const allowed = await post('introspection allowed', passing.url, '{ __schema { queryType { name } } }');
    expect(allowed.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    // __typename is not introspection of the schema: it stays available.
    expect((await post('typename', masked.url, '{ __typename }')).body).toEqual({ data: { __typename: 'Query' } });
  });

  test("the router's own refusals: not JSON, a parse error, a validation error", async () => {
    const notJson = await call('not JSON', masked.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect([notJson.status, notJson.body.errors?.[0]?.extensions?.code]).toEqual([400, 'BAD_REQUEST']);
    const parse = await post('parse error', masked.url, '{ listings(');
    expect([parse.status, parse.body.errors?.[0]?.extensions?.code]).toEqual([400, 'GRAPHQL_PARSE_FAILED']);
    const validation = await post('validation error', masked.url, '{ nope }');
    expect([validation.status, validation.body.errors?.[0]?.extensions?.code]).toEqual([400, 'GRAPHQL_VALIDATION_FAILED']);
    const wrongVariable = await post('wrong variable', masked.url, 'query($n: Int) { listings(first: $n) { __typename } }', { n: 'many' });
    expect([wrongVariable.status, wrongVariable.body.errors?.[0]?.extensions?.code]).toEqual([400, 'BAD_USER_INPUT']);
  });

  test('a domain refusal from a subgraph passes masking with its code and message (our executor and the gateway path)', async () => {
    const query = 'query($listingId: ID!, $startsAt: DateTimeISO!, $endsAt: DateTimeISO!) { quote(listingId: $listingId, startsAt: $startsAt, endsAt: $endsAt) { nights } }';
    const variables = { listingId: randomUUID(), startsAt: '2020-01-01T00:00:00.000Z', endsAt: '2020-01-03T00:00:00.000Z' };
    for (const answer of [await post('domain error POST', masked.url, query, variables), await get('domain error GET', masked.url, query, variables)]) {
      expect(answer.body.errors).toEqual([
        {
          message: expect.stringMatching(/^startsAt: is in the past/),
          path: ['quote'],
          extensions: { code: 'BAD_USER_INPUT', field: 'startsAt', serviceName: 'bookings' },
        },
      ]);
    }
  });

  test("a subgraph error without a client-facing code is masked, with the subgraph named; the original is on the request's line, logged once", async () => {
    for (const [transport, send] of [
      ['POST', (id: string) => post('drift POST', masked.url, '{ catalogDrift }', undefined, { 'x-request-id': id })],
      ['GET (the gateway path)', (id: string) => call('drift GET', `${masked.url}?query=${encodeURIComponent('{ catalogDrift }')}`, { headers: { 'apollo-require-preflight': 'true', 'x-request-id': id } })],
    ] as const) {
      const requestId = `posture-${randomUUID()}`;
      const answer = await send(requestId);
      expect({ transport, body: answer.body }).toEqual({ transport, body: { data: { catalogDrift: null }, errors: [INTERNAL_ERROR] } });
      const line = await masked.process.waitForLine(requestLine(requestId));
      expect(line).toMatchObject({ level: LOG_LEVELS.warn, errorCodes: ['INTERNAL_SERVER_ERROR'], maskedErrors: [{ subgraph: 'catalog', code: 'GRAPHQL_VALIDATION_FAILED' }] });
      expect((line.maskedErrors as { message: string }[])[0]?.message).toMatch(/Cannot query field "catalogDrift" on type "Query"/);
      // Logged once: the request's line is the only one naming it.
      expect(masked.process.lines.filter((logged) => logged.requestId === requestId)).toHaveLength(1);
    }
  });

  test('with SUBGRAPH_ERRORS=pass the subgraph’s own message and code come through', async () => {
    const answer = await post('drift pass', passing.url, '{ catalogDrift }');
    expect(answer.body.data).toEqual({ catalogDrift: null });
    expect(answer.body.errors).toEqual([
      { message: 'Cannot query field "catalogDrift" on type "Query".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED', serviceName: 'catalog' } },
    ]);
  });

  test('subscriptions: a subgraph refusing the upstream subscription is masked over graphql-ws and multipart, passed with pass', async () => {
    const ws = connectSubscriptions(masked.url);
    const wsPass = connectSubscriptions(passing.url);
    try {
      const refused = ws.subscribe('subscription { catalogDriftUpdated }');
      const passed = wsPass.subscribe('subscription { catalogDriftUpdated }');
      const [maskedResult, passedResult] = await Promise.all([refused.nth(1), passed.nth(1)]);
      bodies.push({ what: 'ws drift', text: JSON.stringify(maskedResult) }, { what: 'ws drift pass', text: JSON.stringify(passedResult) });
      expect(maskedResult.errors).toEqual([INTERNAL_ERROR]);
      expect(passedResult.errors?.[0]?.message).toMatch(/Cannot query field "catalogDriftUpdated" on type "Subscription"/);
      // A subscription the router itself refuses (validation): graphql-ws' error message.
      const invalid = ws.subscribe('subscription { nope }');
      const ended = await invalid.ended;
      bodies.push({ what: 'ws validation', text: JSON.stringify(ended.error) });
      expect(JSON.stringify(ended.error)).toContain('GRAPHQL_VALIDATION_FAILED');
    } finally {
      await Promise.all([ws.dispose(), wsPass.dispose()]);
    }
    const stream = await multipart('multipart drift', masked.url, 'subscription { catalogDriftUpdated }');
    expect(stream).toContain(JSON.stringify(INTERNAL_ERROR.extensions));
    expect(stream).not.toContain('Cannot query field');
    const sse = await fetch(masked.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { catalogDriftUpdated }' }),
      signal: AbortSignal.timeout(15_000),
    });
    const events = await sse.text();
    bodies.push({ what: 'sse drift', text: events });
    expect(events).toContain(JSON.stringify(INTERNAL_ERROR.extensions));
    expect(events).not.toContain('Cannot query field');
  });

  test('a resolver crash (a raw database error) is masked by catalog, and by the router with its path', async () => {
    const catalogDb = new Client({ connectionString: subgraphs.catalog.database.url });
    await catalogDb.connect();
    await catalogDb.query('alter table listings rename to listings_gone');
    try {
      const query = '{ listings(first: 1) { edges { node { id } } } }';
      const requestId = `posture-${randomUUID()}`;
      const throughRouter = await post('crash POST', masked.url, query, undefined, { 'x-request-id': requestId });
      expect(throughRouter.body).toEqual({ data: null, errors: [{ ...INTERNAL_ERROR, path: ['listings'] }] });
      expect(await masked.process.waitForLine(requestLine(requestId))).toMatchObject({ maskedErrors: [{ subgraph: 'catalog', code: 'INTERNAL_SERVER_ERROR', path: ['listings'] }] });
      expect((await get('crash GET', masked.url, query)).body).toEqual({ data: null, errors: [{ ...INTERNAL_ERROR, path: ['listings'] }] });
      const direct = await signedPost('crash at catalog', 'catalog', query);
      expect(direct.body.errors).toEqual([{ message: 'Internal server error', locations: expect.any(Array), path: ['listings'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
      // The details are in catalog's log, not in any response.
      const logged = await subgraphs.catalog.process.waitForLine((line) => line.level === LOG_LEVELS.error && /listings/.test(JSON.stringify(line)));
      expect((logged.err as { message?: string } | undefined)?.message).toMatch(/relation "listings" does not exist/);
    } finally {
      await catalogDb.query('alter table listings_gone rename to listings');
      await catalogDb.end();
    }
  });

  test('subgraphs refuse what does not come from the router without stack traces: unsigned, GET, not JSON, invalid', async () => {
    const { graphqlUrl } = subgraphs.bookings;
    const unsigned = await call('unsigned', graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: graphqlRequestBody('{ __typename }') });
    expect([unsigned.status, unsigned.body.errors?.[0]?.extensions?.code]).toEqual([403, 'FORBIDDEN']);
    const viaGet = await call('subgraph GET', `${graphqlUrl}?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect([viaGet.status, viaGet.body.errors?.[0]?.extensions?.code]).toEqual([403, 'FORBIDDEN']);
    const notJson = await call('subgraph not JSON', graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect([notJson.status, notJson.body.errors?.[0]?.extensions?.code]).toEqual([400, 'BAD_REQUEST']);
    const invalid = await signedPost('subgraph invalid', 'bookings', '{ nope }');
    expect([invalid.status, invalid.body.errors?.[0]?.extensions?.code]).toEqual([400, 'GRAPHQL_VALIDATION_FAILED']);
    const unparsable = await signedPost('subgraph parse', 'bookings', '{ nope(');
    expect([unparsable.status, unparsable.body.errors?.[0]?.extensions?.code]).toEqual([400, 'GRAPHQL_PARSE_FAILED']);
  });

  test('no body any request above received carries a stack trace or a file path', () => {
    expect(bodies.length).toBeGreaterThan(25);
    const leaking = bodies.filter(({ text }) => /stacktrace/i.test(text) || /\.[jt]s:\d+:\d+/.test(text) || /\/(?:work|app)\//.test(text)).map(({ what }) => what);
    expect(leaking).toEqual([]);
  });
});
