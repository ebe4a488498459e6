import { request as httpRequest } from 'node:http';
import { startStack, type Stack } from '@booking/testkit';
import type { Router } from '../src/router';

/** What a client sees of an answer: the status, every header in the order it came, the body's bytes. */
interface RawAnswer {
  readonly status: number;
  /** [name, value] in wire order, without those that differ per request (PER_REQUEST). */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

interface Sent {
  readonly method: string;
  readonly headers?: Record<string, string>;
  readonly search?: string;
  readonly body?: string;
}

/** Headers that differ from one request to the next whoever answers. */
const PER_REQUEST = new Set(['date', 'connection', 'keep-alive', 'x-request-id']);

/** A raw HTTP request (any method, exact headers and body), so nothing a client library adds hides a difference. */
function send(url: string, sent: Sent): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}${sent.search ?? ''}`, { method: sent.method, headers: sent.headers ?? {}, agent: false, timeout: 30_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const headers: [string, string][] = [];
        for (let index = 0; index < response.rawHeaders.length; index += 2) {
          const name = (response.rawHeaders[index] as string).toLowerCase();
          if (!PER_REQUEST.has(name)) headers.push([name, response.rawHeaders[index + 1] as string]);
        }
        resolve({ status: response.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer to ${sent.method} ${url}`)));
    request.on('error', reject);
    request.end(sent.body);
  });
}

/**
 * A landing page carries a nonce made afresh for each render (Apollo's landing page plugin and
 * our GraphiQL page both do): the same placeholder in both answers, the rest compared as is.
 */
const withoutNonces = (answer: RawAnswer): RawAnswer => {
  const placeholder = (text: string) => text.replace(/(nonce(?:=|="|-))[A-Za-z0-9+/=]{16,}/g, '$1…');
  return { ...answer, body: placeholder(answer.body), headers: answer.headers.map(([name, value]) => [name, placeholder(value)] as const) };
};

const header = (answer: RawAnswer, name: string) => answer.headers.find(([found]) => found === name)?.[1];
const codeOf = (answer: RawAnswer): unknown => (JSON.parse(answer.body) as { errors?: { extensions?: { code?: unknown } }[] }).errors?.[0]?.extensions?.code;

async function gatewayBuilt(router: Router): Promise<number | undefined> {
  const metric = await router.metrics?.registry.getSingleMetric('router_gateway_built')?.get();
  return metric?.values[0]?.value;
}

async function gatewayRequests(router: Router): Promise<Record<string, number>> {
  const metric = await router.metrics?.registry.getSingleMetric('router_gateway_requests_total')?.get();
  return Object.fromEntries((metric?.values ?? []).filter(({ value }) => value > 0).map(({ labels, value }) => [String(labels.reason), value]));
}

/** What CSRF prevention asks of a request without a content type, as a browser's preflighted one carries it. */
const PREFLIGHT = { 'apollo-require-preflight': 'true' };
const JSON_BODY = { 'content-type': 'application/json' };
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const GRAPHQL_RESPONSE = 'application/graphql-response+json; charset=utf-8';

type Pair = 'graphiql' | 'sandbox' | 'off';

/**
 * Requests that carry no operation (a GET without a query, a page request, HEAD, PUT, PATCH,
 * DELETE, OPTIONS without a preflight...): the default router answers them itself
 * (router/src/pipeline/plainHttpAnswers.ts), with the status, headers in their order and body
 * bytes of Apollo Server (ROUTER_EXECUTOR=gateway, for each LANDING_PAGE), and never builds
 * Apollo Server and @apollo/gateway for them.
 */
describe('requests without an operation, answered without Apollo Server', () => {
  let stack: Stack;
  const urls: Record<Pair, { ours: string; gateway: string }> = { graphiql: { ours: '', gateway: '' }, sandbox: { ours: '', gateway: '' }, off: { ours: '', gateway: '' } };
  const ourRouters: Router[] = [];

  beforeAll(async () => {
    stack = await startStack({ routerEnv: { LANDING_PAGE: 'graphiql' } });
    urls.graphiql = { ours: stack.routerUrl, gateway: (await stack.startRouter({ ROUTER_EXECUTOR: 'gateway' })).url };
    ourRouters.push(stack.router);
    for (const mode of ['sandbox', 'off'] as const) {
      const ours = await stack.startRouter({ LANDING_PAGE: mode });
      ourRouters.push(ours.router);
      urls[mode] = { ours: ours.url, gateway: (await stack.startRouter({ LANDING_PAGE: mode, ROUTER_EXECUTOR: 'gateway' })).url };
    }
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** The same request to both executors: the same answer, byte for byte (landing pages' nonces aside). */
  async function both(sent: Sent, pair: Pair = 'graphiql'): Promise<RawAnswer> {
    const [ours, gateway] = await Promise.all([send(urls[pair].ours, sent), send(urls[pair].gateway, sent)]);
    expect(withoutNonces(ours)).toEqual(withoutNonces(gateway));
    return ours;
  }

  it.each<[string, Sent, number, string]>([
    ['a GET without a query, Accept JSON', { method: 'GET', headers: { ...PREFLIGHT, accept: 'application/json' } }, 400, 'BAD_REQUEST'],
    ['a GET without a query or an Accept header', { method: 'GET', headers: PREFLIGHT }, 400, 'BAD_REQUEST'],
    ['a GET without a query, Accept */*', { method: 'GET', headers: { ...PREFLIGHT, accept: '*/*' } }, 400, 'BAD_REQUEST'],
    ['a GET without a query, Accept graphql-response+json', { method: 'GET', headers: { ...PREFLIGHT, accept: 'application/graphql-response+json' } }, 400, 'BAD_REQUEST'],
    ['a GET without a query, Accept the JSON callback type', { method: 'GET', headers: { ...PREFLIGHT, accept: 'application/json; callbackSpec=1.0' } }, 400, 'BAD_REQUEST'],
    ['a GET without a query whose Accept takes no JSON (406)', { method: 'GET', headers: { ...PREFLIGHT, accept: 'text/plain' } }, 406, 'BAD_REQUEST'],
    ['a GET with a JSON content type and no query', { method: 'GET', headers: { 'content-type': 'application/json; charset=utf-8' } }, 400, 'BAD_REQUEST'],
    ['a GET with another content type (415)', { method: 'GET', headers: { 'content-type': 'application/xml' } }, 415, 'BAD_REQUEST'],
    ['a GET with only an operation name and variables', { method: 'GET', headers: PREFLIGHT, search: '?operationName=Q&variables=%7B%22a%22%3A1%7D' }, 400, 'BAD_REQUEST'],
    ['a GET with two operation names', { method: 'GET', headers: PREFLIGHT, search: '?operationName=A&operationName=B' }, 400, 'BAD_REQUEST'],
    ['a GET with two sets of variables', { method: 'GET', headers: PREFLIGHT, search: '?variables=%7B%7D&variables=%7B%7D' }, 400, 'BAD_REQUEST'],
    ['a GET whose variables are not JSON', { method: 'GET', headers: PREFLIGHT, search: '?variables=nope' }, 400, 'BAD_REQUEST'],
    ['a GET whose variables are not an object', { method: 'GET', headers: PREFLIGHT, search: '?variables=%5B1%5D' }, 400, 'BAD_REQUEST'],
    ['a GET without a query with a malformed token', { method: 'GET', headers: { ...PREFLIGHT, authorization: 'Bearer not.a.jwt' } }, 401, 'UNAUTHENTICATED'],
    ['a GET without a query with a malformed token, Accept no JSON', { method: 'GET', headers: { ...PREFLIGHT, authorization: 'Bearer not.a.jwt', accept: 'text/plain' } }, 401, 'UNAUTHENTICATED'],
    ['a GET without a query with a malformed x-request-timeout-ms (before the token)', { method: 'GET', headers: { ...PREFLIGHT, 'x-request-timeout-ms': 'soon', authorization: 'Bearer x' } }, 400, 'BAD_REQUEST'],
    ['a HEAD', { method: 'HEAD', headers: PREFLIGHT }, 405, ''],
    ['a HEAD that prefers HTML', { method: 'HEAD', headers: { ...PREFLIGHT, accept: BROWSER_ACCEPT } }, 405, ''],
    ['a HEAD with a query', { method: 'HEAD', headers: PREFLIGHT, search: '?query=%7B__typename%7D' }, 405, ''],
    ['a HEAD without the CSRF header', { method: 'HEAD' }, 400, ''],
    ['a PUT with an operation', { method: 'PUT', headers: JSON_BODY, body: '{"query":"{ __typename }"}' }, 405, 'BAD_REQUEST'],
    ['a PUT asking for graphql-response+json', { method: 'PUT', headers: { ...JSON_BODY, accept: 'application/graphql-response+json' }, body: '{}' }, 405, 'BAD_REQUEST'],
    ['a PUT with a malformed token (the context first)', { method: 'PUT', headers: { ...JSON_BODY, authorization: 'Bearer not.a.jwt' }, body: '{}' }, 401, 'UNAUTHENTICATED'],
    ['a PATCH', { method: 'PATCH', headers: JSON_BODY, body: '{"query":"{ __typename }"}' }, 405, 'BAD_REQUEST'],
    ['a DELETE', { method: 'DELETE', headers: PREFLIGHT }, 405, 'BAD_REQUEST'],
    ['a PROPFIND', { method: 'PROPFIND', headers: PREFLIGHT }, 405, 'BAD_REQUEST'],
    ['an OPTIONS that is no CORS preflight', { method: 'OPTIONS', headers: PREFLIGHT }, 405, 'BAD_REQUEST'],
    ['an OPTIONS from an allowed origin that is no preflight', { method: 'OPTIONS', headers: { ...PREFLIGHT, origin: 'http://localhost:3000' } }, 405, 'BAD_REQUEST'],
    ['a DELETE without the CSRF header', { method: 'DELETE' }, 400, 'BAD_REQUEST'],
    ['a POST without a content type', { method: 'POST', body: '{"query":"{ __typename }"}' }, 400, 'BAD_REQUEST'],
    ['a POST with an empty JSON body', { method: 'POST', headers: JSON_BODY }, 400, 'BAD_REQUEST'],
    ['a POST of text/plain that passed CSRF prevention', { method: 'POST', headers: { ...PREFLIGHT, 'content-type': 'text/plain' }, body: '{"query":"{ __typename }"}' }, 415, 'BAD_REQUEST'],
  ])('answers %s as Apollo Server does', async (_name, sent, status, code) => {
    for (const pair of ['graphiql', 'sandbox', 'off'] as const) {
      const answer = await both(sent, pair);
      expect(answer.status).toBe(status);
      // A HEAD's answer has no body; its headers say what a GET's would.
      if (sent.method !== 'HEAD') expect(codeOf(answer)).toBe(code);
    }
  });

  it('answers 405 with Allow: GET, POST, and the content type the Accept header asks for', async () => {
    const put = await both({ method: 'PUT', headers: { ...JSON_BODY, accept: 'application/graphql-response+json' }, body: '{}' });
    expect([header(put, 'allow'), header(put, 'content-type'), header(put, 'cache-control')]).toEqual(['GET, POST', GRAPHQL_RESPONSE, undefined]);
    expect(put.body).toBe('{"errors":[{"message":"Apollo Server supports only GET/POST requests.","extensions":{"code":"BAD_REQUEST"}}]}\n');
    const head = await both({ method: 'HEAD', headers: PREFLIGHT });
    // Node writes no body and no Content-Length for a HEAD, whoever answers it.
    expect([head.status, head.body, header(head, 'allow'), header(head, 'content-type')]).toEqual([405, '', 'GET, POST', 'application/json; charset=utf-8']);
    const noQuery = await both({ method: 'GET', headers: PREFLIGHT });
    expect([header(noQuery, 'cache-control'), JSON.parse(noQuery.body).errors[0].message]).toEqual(['no-store', 'GraphQL operations must contain a non-empty `query` or a `persistedQuery` extension.']);
  });

  it('renders Apollo Sandbox as Apollo Server does (LANDING_PAGE=sandbox), with its CSP, for any page request', async () => {
    for (const sent of [
      { method: 'GET', headers: { accept: 'text/html' } },
      { method: 'GET', headers: { accept: BROWSER_ACCEPT } },
      { method: 'GET', headers: { accept: BROWSER_ACCEPT }, search: '?query=%7B__typename%7D' },
    ]) {
      const page = await both(sent, 'sandbox');
      expect([page.status, header(page, 'content-type'), header(page, 'cache-control')]).toEqual([200, 'text/html', 'no-store']);
      expect(page.body).toContain('embeddable-sandbox.cdn.apollographql.com');
      expect(header(page, 'content-security-policy')).toContain("frame-ancestors 'none'");
      // One nonce per page, made for it.
      expect(new Set(page.body.match(/[0-9a-f]{64}/g))).toHaveProperty('size', 1);
    }
    // The other modes' pages are the router's own on both executors.
    const graphiql = await both({ method: 'GET', headers: { accept: BROWSER_ACCEPT } }, 'graphiql');
    expect([graphiql.status, header(graphiql, 'content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const off = await both({ method: 'GET', headers: { accept: BROWSER_ACCEPT } }, 'off');
    expect([off.status, codeOf(off)]).toEqual([404, 'NOT_FOUND']);
  });

  it('builds Apollo Server and @apollo/gateway for none of them on the default router', async () => {
    for (const router of ourRouters) {
      expect(await gatewayBuilt(router)).toBe(0);
      expect(await gatewayRequests(router)).toEqual({});
    }
  });
});
