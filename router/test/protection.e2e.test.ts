import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUBGRAPH_NAMES, type SubgraphName } from '@booking/runtime';
import { connectSubscriptions, countingForward, startStack, type CountingForward, type Stack } from '@booking/testkit';
import { buildManifest } from '../src/pipeline/trustedDocuments';

interface RawAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: Record<string, unknown> & { code?: string } }[];
    extensions?: Record<string, unknown>;
  };
}

async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<RawAnswer> {
  const response = await fetch(url, {
    method: init.method ?? 'POST',
    headers: init.method === 'GET' || init.method === 'OPTIONS' ? init.headers : { 'content-type': 'application/json', ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as RawAnswer['body']) : {} };
}

const LISTINGS = 'query Listings { listings(first: 2) { edges { node { id title } } } }';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The protection stages on a real router over real subgraphs and Redis: what they refuse never
 * reaches a subgraph (each is behind a counting forward), and what they allow runs as before.
 */
describe('protecting the router', () => {
  let stack: Stack;
  const forwards: Partial<Record<SubgraphName, CountingForward>> = {};
  let routerUrl = '';
  const subgraphCalls = () => SUBGRAPH_NAMES.reduce((sum, name) => sum + (forwards[name]?.calls() ?? 0), 0);

  beforeAll(async () => {
    stack = await startStack();
    for (const name of SUBGRAPH_NAMES) forwards[name] = await countingForward(stack.subgraphs[name].graphqlUrl);
    routerUrl = (
      await stack.startRouter({
        ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, forwards[name]?.url ?? ''])),
        MAX_OPERATION_COST: '5000',
      })
    ).url;
  });
  afterAll(async () => {
    await stack?.stop();
    await Promise.all(Object.values(forwards).map((forward) => forward?.close()));
  });

  describe('operation limits and cost: refused with their codes, and no subgraph is called', () => {
    const aliases = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: listings(first: 100) { edges { node { id } } }`).join(' ')} }`;
    const deep = (levels: number) => `{ listings(first: 1) { edges { node { host { ${'listings: __typename '.repeat(0)}${'bookingsConnection { edges { node { guest { '.repeat(levels)} id ${'} } } } '.repeat(levels)}} } } } }`;
    const cases: [string, () => string, string][] = [
      ['10,000 aliases of listings(first: 100)', () => aliases(10_000), 'MAX_TOKENS_LIMIT'],
      ['31 aliases', () => aliases(31), 'MAX_ROOT_FIELDS_LIMIT'],
      ['depth 50', () => deep(12), 'MAX_DEPTH_LIMIT'],
      ['200,000 tokens', () => `{ ${'a '.repeat(200_000)}}`, 'MAX_TOKENS_LIMIT'],
      ['a fragment bomb', () => bomb(40), 'MAX_DEPTH_LIMIT'],
      ['an estimated cost too high', () => `{ a: listings(first: 100) { edges { node { id host { id } bookingsConnection(first: 100) { edges { node { id } } } } } } }`, 'COST_ESTIMATED_TOO_EXPENSIVE'],
    ];

    it.each(cases)('%s', async (_name, query, code) => {
      const before = subgraphCalls();
      const started = performance.now();
      const answer = await send(routerUrl, { body: { query: query() } });
      const elapsed = performance.now() - started;
      expect([answer.status, answer.body.errors?.[0]?.extensions?.code]).toEqual([400, code]);
      expect(answer.body.data).toBeUndefined();
      expect(answer.body.errors?.[0]?.extensions).toHaveProperty('limit');
      expect(subgraphCalls()).toBe(before);
      // Not a timing assertion: the figure goes in the log of the run (the bench measures it).
      process.stdout.write(`refused ${_name} in ${elapsed.toFixed(1)} ms\n`);
    });

    it('lets an ordinary operation through, which does reach the subgraphs', async () => {
      const before = subgraphCalls();
      const answer = await send(routerUrl, { body: { query: LISTINGS } });
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
      expect(subgraphCalls()).toBeGreaterThan(before);
    });
  });

  describe('automatic persisted queries', () => {
    it('round trip over POST: hash unknown, hash and text, then the hash alone', async () => {
      const hash = sha256(`${LISTINGS} # post ${Date.now()}`);
      const text = `${LISTINGS} # post ${Date.now()}`;
      const id = sha256(text);
      expect(hash).not.toBe('');
      const extensions = { persistedQuery: { version: 1, sha256Hash: id } };
      const unknown = await send(routerUrl, { body: { extensions } });
      expect([unknown.status, unknown.body.errors?.[0]?.extensions?.code]).toEqual([200, 'PERSISTED_QUERY_NOT_FOUND']);
      const registered = await send(routerUrl, { body: { query: text, extensions } });
      expect(registered.status).toBe(200);
      expect(registered.body.data?.listings).toBeDefined();
      const byHash = await send(routerUrl, { body: { extensions } });
      expect(byHash.body).toEqual(registered.body);
    });

    it('round trip over GET, and a mutation over GET is refused', async () => {
      const text = `${LISTINGS} # get ${Date.now()}`;
      const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256(text) } });
      const preflight = { 'apollo-require-preflight': 'true' };
      const unknown = await send(`${routerUrl}?${new URLSearchParams({ extensions })}`, { method: 'GET', headers: preflight });
      expect(unknown.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      const registered = await send(`${routerUrl}?${new URLSearchParams({ query: text, extensions })}`, { method: 'GET', headers: preflight });
      expect(registered.body.data?.listings).toBeDefined();
      const byHash = await send(`${routerUrl}?${new URLSearchParams({ extensions })}`, { method: 'GET', headers: preflight });
      expect(byHash.body).toEqual(registered.body);
      const mutation = await send(`${routerUrl}?${new URLSearchParams({ query: 'mutation { logout(refreshToken: "x") }' })}`, { method: 'GET', headers: preflight });
      expect([mutation.status, mutation.headers.get('allow')]).toEqual([405, 'POST']);
    });
  });

  describe('trusted documents (safelist)', () => {
    let folder: string;
    let safelistUrl: string;
    beforeAll(async () => {
      folder = mkdtempSync(join(tmpdir(), 'trusted-'));
      writeFileSync(join(folder, 'listings.graphql'), LISTINGS);
      writeFileSync(join(folder, 'manifest.json'), JSON.stringify(buildManifest(folder)));
      safelistUrl = (await stack.startRouter({ PERSISTED_QUERIES: 'safelist', PERSISTED_QUERIES_MANIFEST: join(folder, 'manifest.json') })).url;
    });
    afterAll(() => rmSync(folder, { recursive: true, force: true }));

    it('serves a listed operation by id and by its text, refuses any other', async () => {
      const [listed] = buildManifest(folder).operations;
      if (!listed) throw new Error('no operation in the manifest');
      const byId = await send(safelistUrl, { body: { extensions: { persistedQuery: { version: 1, sha256Hash: listed.id } } } });
      expect(byId.status).toBe(200);
      expect(byId.body.data?.listings).toBeDefined();
      expect((await send(safelistUrl, { body: { query: LISTINGS } })).status).toBe(200);
      const before = subgraphCalls();
      const other = await send(safelistUrl, { body: { query: '{ listings(first: 1) { edges { node { id } } } }' } });
      expect([other.status, other.body.errors?.[0]?.extensions?.code]).toEqual([400, 'PERSISTED_QUERY_NOT_IN_LIST']);
      expect(subgraphCalls()).toBe(before);
    });
  });

  describe('CORS', () => {
    it('answers a preflight from an allowed origin with 204 and the headers Apollo Client sends', async () => {
      const answer = await send(routerUrl, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://localhost:5173',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type, authorization, apollo-require-preflight, graphql-client-name, graphql-client-version, x-apollo-operation-name',
        },
      });
      expect(answer.status).toBe(204);
      expect(answer.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      expect(answer.headers.get('access-control-allow-methods')).toContain('POST');
      expect(answer.headers.get('access-control-allow-headers')).toContain('apollo-require-preflight');
      const actual = await send(routerUrl, { headers: { origin: 'http://localhost:5173' }, body: { query: LISTINGS } });
      expect(actual.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      expect(actual.headers.get('x-content-type-options')).toBe('nosniff');
    });

    it('gives another origin no CORS header at all', async () => {
      const preflight = await send(routerUrl, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      const actual = await send(routerUrl, { headers: { origin: 'https://evil.example' }, body: { query: LISTINGS } });
      expect(actual.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('rate limits shared by two routers', () => {
    it('allows N, refuses N+1 with 429 and headers, spends the cost, and allows again after the window', async () => {
      const env = { RATE_LIMIT: 'true', RATE_LIMIT_QUERY_POINTS: '30', RATE_LIMIT_WINDOW_SECONDS: '2', RATE_LIMIT_SUBSCRIPTION_POINTS: '1' };
      const first = (await stack.startRouter(env)).url;
      const second = (await stack.startRouter(env)).url;
      // listings(first: 2) { edges { node } }: 1 + 2 × 2 = 5 units.
      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1) statuses.push((await send(i % 2 === 0 ? first : second, { body: { query: LISTINGS } })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
      const refused = await send(second, { body: { query: LISTINGS } });
      expect([refused.status, refused.body.errors?.[0]?.extensions?.code]).toEqual([429, 'RATE_LIMITED']);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(refused.headers.get('ratelimit-limit')).toBe('30');
      expect(refused.headers.get('ratelimit-remaining')).toBe('0');
      // A cheaper operation that fits in nothing left is refused too; after the window all run again.
      const deadline = Date.now() + 10_000;
      let again = await send(first, { body: { query: LISTINGS } });
      while (again.status === 429 && Date.now() < deadline) {
        await new Promise((wait) => setTimeout(wait, 200));
        again = await send(first, { body: { query: LISTINGS } });
      }
      expect(again.status).toBe(200);
      expect(Number(again.headers.get('ratelimit-remaining'))).toBeLessThan(30);
    });

    it('counts new subscriptions in their own budget, on WebSocket too', async () => {
      const url = (await stack.startRouter({ RATE_LIMIT: 'true', RATE_LIMIT_SUBSCRIPTION_POINTS: '1', RATE_LIMIT_WINDOW_SECONDS: '30' })).url;
      const connection = connectSubscriptions(url);
      try {
        const subscription = 'subscription { availabilityChanged(listingId: "00000000-0000-0000-0000-000000000000") { listingId } }';
        const first = connection.subscribe(subscription);
        const second = connection.subscribe(subscription);
        const outcome = await second.ended;
        expect(JSON.stringify(outcome.error)).toContain('RATE_LIMITED');
        first.complete();
      } finally {
        await connection.dispose();
      }
    });
  });

  it('refuses an oversized subscription over WebSocket with the limit code', async () => {
    const connection = connectSubscriptions(routerUrl);
    try {
      const aliasesOf = Array.from({ length: 31 }, (_, i) => `a${i}: availabilityChanged(listingId: "x") { listingId }`).join(' ');
      const refused = connection.subscribe(`subscription { ${aliasesOf} }`);
      const outcome = await refused.ended;
      expect(JSON.stringify(outcome.error)).toContain('MAX_ROOT_FIELDS_LIMIT');
    } finally {
      await connection.dispose();
    }
  });

  describe('extensions.cost when the request asks for it (graphql-expose-cost: true)', () => {
    const asks = { 'graphql-expose-cost': 'true' };

    it('tells the estimate and the limit over POST and GET, and nothing to a request that does not ask', async () => {
      const posted = await send(routerUrl, { headers: asks, body: { query: LISTINGS } });
      expect(posted.status).toBe(200);
      expect(posted.body.data?.listings).toBeDefined();
      // listings(first: 2) { edges { node } }: 1 + 2 × 2 = 5 units; no rate limit here, so nothing charged.
      expect(posted.body.extensions).toEqual({ cost: { estimated: 5, limit: 5000 } });
      const got = await send(`${routerUrl}?${new URLSearchParams({ query: LISTINGS })}`, { method: 'GET', headers: { ...asks, 'apollo-require-preflight': 'true' } });
      expect(got.body.data?.listings).toBeDefined();
      expect(got.body.extensions).toEqual({ cost: { estimated: 5, limit: 5000 } });
      expect((await send(routerUrl, { body: { query: LISTINGS } })).body.extensions).toBeUndefined();
      expect((await send(routerUrl, { headers: { 'graphql-expose-cost': 'false' }, body: { query: LISTINGS } })).body.extensions).toBeUndefined();
    });

    it('is per request when a variable sizes a list, on the @apollo/gateway path too, with a null limit when demand control is off', async () => {
      const gatewayUrl = (await stack.startRouter({ ROUTER_EXECUTOR: 'gateway', MAX_OPERATION_COST: 'off' })).url;
      const query = 'query Sized($n: Int) { listings(first: $n) { edges { node { id } } } }';
      for (const [n, estimated] of [
        [3, 7],
        [1, 3],
      ]) {
        const answer = await send(gatewayUrl, { headers: asks, body: { query, variables: { n } } });
        expect(answer.body.data?.listings).toBeDefined();
        expect(answer.body.extensions).toEqual({ cost: { estimated, limit: null } });
      }
    });
  });

  describe('subscriptions over multipart HTTP and SSE pass the same stages as WebSocket', () => {
    const SUBSCRIBE = 'subscription { availabilityChanged(listingId: "00000000-0000-0000-0000-000000000000") { listingId } }';
    const transports: [string, string][] = [
      ['multipart', 'multipart/mixed;subscriptionSpec=1.0'],
      ['SSE', 'text/event-stream'],
    ];
    const rateLimited = { RATE_LIMIT: 'true', RATE_LIMIT_SUBSCRIPTION_POINTS: '1', RATE_LIMIT_WINDOW_SECONDS: '60', TRUSTED_PROXY_HOPS: '1' };
    // One router behind the counting forwards, one on the subgraphs themselves: one budget in Redis.
    let limitedUrl = '';
    let spenderUrl = '';
    beforeAll(async () => {
      limitedUrl = (
        await stack.startRouter({ ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, forwards[name]?.url ?? ''])), ...rateLimited })
      ).url;
      spenderUrl = (await stack.startRouter(rateLimited)).url;
    });

    it.each(transports)('%s: over a limit, refused with its code before any subgraph subscription', async (_transport, accept) => {
      const aliasesOf = Array.from({ length: 31 }, (_, i) => `a${i}: availabilityChanged(listingId: "x") { listingId }`).join(' ');
      const before = subgraphCalls();
      const refused = await send(routerUrl, { headers: { accept }, body: { query: `subscription { ${aliasesOf} }` } });
      expect([refused.status, refused.body.errors?.[0]?.extensions?.code]).toEqual([400, 'MAX_ROOT_FIELDS_LIMIT']);
      expect(refused.body.errors?.[0]?.extensions).toMatchObject({ limit: 20, measured: 31 });
      expect(subgraphCalls()).toBe(before);
    });

    it.each(transports)('%s: a new subscription spends the subscription budget; over it, 429 with headers and no subgraph subscription', async (transport, accept) => {
      const caller = transport === 'SSE' ? '198.51.100.22' : '198.51.100.21';
      // The caller's one subscription of the window, started on the other router (its stream runs).
      const leaving = new AbortController();
      const started = await fetch(spenderUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept, 'x-forwarded-for': caller },
        body: JSON.stringify({ query: SUBSCRIBE }),
        signal: leaving.signal,
      });
      expect([started.status, started.headers.get('ratelimit-remaining')]).toEqual([200, '0']);
      leaving.abort();
      const before = subgraphCalls();
      const refused = await send(limitedUrl, { headers: { accept, 'x-forwarded-for': caller }, body: { query: SUBSCRIBE } });
      expect([refused.status, refused.body.errors?.[0]?.extensions?.code]).toEqual([429, 'RATE_LIMITED']);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect([refused.headers.get('ratelimit-limit'), refused.headers.get('ratelimit-remaining')]).toEqual(['1', '0']);
      expect(subgraphCalls()).toBe(before);
      // The control: a caller with budget left does open a subgraph subscription, and the count sees it.
      const control = new AbortController();
      const allowed = await fetch(limitedUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept, 'x-forwarded-for': `${caller}0` },
        body: JSON.stringify({ query: SUBSCRIBE }),
        signal: control.signal,
      });
      expect(allowed.status).toBe(200);
      const deadline = Date.now() + 5_000;
      while (subgraphCalls() === before && Date.now() < deadline) await new Promise((wait) => setTimeout(wait, 20));
      control.abort();
      expect(subgraphCalls()).toBeGreaterThan(before);
    });

    it('tells what the rate limit charged, when asked', async () => {
      const answer = await send(spenderUrl, { headers: { 'graphql-expose-cost': 'true', 'x-forwarded-for': '198.51.100.23' }, body: { query: LISTINGS } });
      expect(answer.body.extensions).toMatchObject({ cost: { estimated: 5, charged: 5 } });
      expect(Number(answer.headers.get('ratelimit-limit')) - Number(answer.headers.get('ratelimit-remaining'))).toBe(5);
    });
  });

  describe('the landing page', () => {
    it('Sandbox (LANDING_PAGE=sandbox) carries a Content-Security-Policy that allows its inline code by hash and its scripts by origin; GraphQL answers carry none', async () => {
      const sandboxUrl = (await stack.startRouter({ LANDING_PAGE: 'sandbox' })).url;
      const page = await fetch(sandboxUrl, { headers: { accept: 'text/html' }, signal: AbortSignal.timeout(30_000) });
      expect(page.status).toBe(200);
      const html = await page.text();
      const directives = new Map(
        (page.headers.get('content-security-policy') ?? '').split(';').map((directive) => {
          const [name = '', ...sources] = directive.trim().split(/\s+/);
          return [name, sources] as const;
        }),
      );
      expect(directives.get('default-src')).toEqual(["'none'"]);
      expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
      const scriptSources = directives.get('script-src') ?? [];
      expect(scriptSources).not.toContain("'unsafe-inline'");
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)].map(([, attributes = '', code = '']) => ({ src: /\bsrc="([^"]+)"/.exec(attributes)?.[1], code }));
      const inline = scripts.filter((script) => script.src === undefined);
      expect(inline.length).toBeGreaterThan(0);
      for (const { code } of inline) expect(scriptSources).toContain(`'sha256-${createHash('sha256').update(code).digest('base64')}'`);
      for (const { src } of scripts) if (src !== undefined) expect(scriptSources).toContain(new URL(src).origin);
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      const answer = await send(routerUrl, { body: { query: LISTINGS } });
      expect(answer.headers.get('content-security-policy')).toBeNull();
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    });
  });
});

/** Each fragment spreads the next twice: 2^levels paths. */
function bomb(levels: number): string {
  const fragments = Array.from({ length: levels }, (_, i) =>
    i + 1 < levels ? `fragment F${i} on Listing { id host { listings(first: 1) { edges { node { ...F${i + 1} } } } } }` : `fragment F${i} on Listing { id }`,
  );
  return `{ listings(first: 1) { edges { node { ...F0 ...F0 } } } } ${fragments.join(' ')}`;
}
