import { randomUUID } from 'node:crypto';
import { startStack, type Stack } from '@booking/testkit';

const REGISTER = 'mutation($input: RegisterInput!) { register(input: $input) { user { id } } }';
const CSRF_MESSAGE = 'This operation has been blocked as a potential Cross-Site Request Forgery (CSRF)';

interface RawAnswer {
  readonly status: number;
  readonly body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string }): Promise<RawAnswer> {
  const response = await fetch(url, { method: init.method ?? 'POST', headers: init.headers, body: init.body, signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as RawAnswer['body'] };
}

/**
 * What reaches the executors: every /graphql request passes the router's request pipeline
 * (CSRF prevention first), and every malformed request is a 400 with a code, on both
 * executors, before anything runs.
 */
describe('router request admission', () => {
  let stack: Stack;
  const urls: Record<'router' | 'gateway', string> = { router: '', gateway: '' };

  beforeAll(async () => {
    stack = await startStack();
    urls.router = stack.routerUrl;
    urls.gateway = (await stack.startRouter({ ROUTER_EXECUTOR: 'gateway' })).url;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function usersNamed(email: string): Promise<number> {
    const rows = (await stack.subgraphs.accounts.server.database.em
      .fork()
      .getConnection()
      .execute('select count(*)::int as count from users where email = ?', [email])) as { count: number }[];
    return rows[0]?.count ?? 0;
  }

  const registerBody = (email: string) =>
    JSON.stringify({ query: REGISTER, variables: { input: { email, password: 'correct horse battery staple', displayName: 'csrf', role: 'GUEST' } } });

  describe.each(['router', 'gateway'] as const)('executor %s', (executor) => {
    describe('CSRF prevention', () => {
      it.each([
        'text/plain;charset=application/json',
        'text/plain; application/json',
        'application/x-www-form-urlencoded;x=application/json',
        'multipart/form-data; boundary=application/json',
        'TEXT/PLAIN',
      ])('refuses a mutation sent as %s, and nothing is registered', async (contentType) => {
        const email = `csrf-${randomUUID()}@e2e.example`;
        const answer = await send(urls[executor], { headers: { 'content-type': contentType }, body: registerBody(email) });
        expect(answer.status).toBe(400);
        expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
        expect(answer.body.errors?.[0]?.message).toContain(CSRF_MESSAGE);
        expect(await usersNamed(email)).toBe(0);
      });

      it('refuses a POST with no content type, and a GET with no preflight header', async () => {
        const email = `csrf-${randomUUID()}@e2e.example`;
        const noType = await send(urls[executor], { body: registerBody(email) });
        expect([noType.status, noType.body.errors?.[0]?.extensions?.code]).toEqual([400, 'BAD_REQUEST']);
        expect(await usersNamed(email)).toBe(0);
        const get = await send(`${urls[executor]}?query=${encodeURIComponent('{ categories { id } }')}`, { method: 'GET' });
        expect([get.status, get.body.errors?.[0]?.extensions?.code]).toEqual([400, 'BAD_REQUEST']);
        expect(get.body.errors?.[0]?.message).toContain(CSRF_MESSAGE);
      });

      it('serves application/json, with parameters and in any case', async () => {
        for (const contentType of ['application/json', 'application/json; charset=utf-8', 'Application/JSON;Charset="UTF-8"']) {
          const email = `json-${randomUUID()}@e2e.example`;
          const answer = await send(urls[executor], { headers: { 'content-type': contentType }, body: registerBody(email) });
          expect(`${contentType} → ${answer.status} ${JSON.stringify(answer.body.errors ?? [])}`).toBe(`${contentType} → 200 []`);
          expect(await usersNamed(email)).toBe(1);
        }
      });

      it('serves a GET query that carries a preflight header', async () => {
        const get = await send(`${urls[executor]}?query=${encodeURIComponent('{ categories { name } }')}`, {
          method: 'GET',
          headers: { 'apollo-require-preflight': 'true' },
        });
        expect(get.status).toBe(200);
        expect(get.body.errors).toBeUndefined();
      });

      it('still serves the landing page (GraphiQL by default) to a browser, and runs no query for it', async () => {
        const response = await fetch(`${urls[executor]}?query=${encodeURIComponent('{ categories { name } }')}`, {
          headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
        });
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toContain('text/html');
        expect(await response.text()).not.toContain('"categories"');
      });

      it('refuses a text/plain body even with a preflight header: it is not JSON (415), and nothing runs', async () => {
        const email = `plain-${randomUUID()}@e2e.example`;
        const answer = await send(urls[executor], {
          headers: { 'content-type': 'text/plain', 'apollo-require-preflight': 'true' },
          body: registerBody(email),
        });
        expect([answer.status, answer.body.errors?.[0]?.extensions?.code]).toEqual([415, 'BAD_REQUEST']);
        expect(await usersNamed(email)).toBe(0);
      });

      it('refuses a JSON body declared in another charset (415)', async () => {
        const answer = await send(urls[executor], {
          headers: { 'content-type': 'application/json; charset=utf-16' },
          body: JSON.stringify({ query: '{ categories { name } }' }),
        });
        expect([answer.status, answer.body.errors?.[0]?.extensions?.code]).toEqual([415, 'BAD_REQUEST']);
      });
    });

    describe('malformed requests are 400 with a code', () => {
      const json = { 'content-type': 'application/json' };
      it.each([
        ['extensions a number', { query: '{ categories { name } }', extensions: 5 }],
        ['extensions a string', { query: '{ categories { name } }', extensions: 'x' }],
        ['extensions an array', { query: '{ categories { name } }', extensions: [] }],
        ['query a number', { query: 5 }],
        ['query an object', { query: { kind: 'Document' } }],
        ['query missing', { variables: {} }],
        ['variables a string', { query: '{ categories { name } }', variables: '{}' }],
        ['variables an array', { query: '{ categories { name } }', variables: [1] }],
        ['variables a number', { query: '{ categories { name } }', variables: 5 }],
        ['operationName a number', { query: '{ categories { name } }', operationName: 5 }],
        ['operationName an object', { query: '{ categories { name } }', operationName: {} }],
        ['a batch (array)', [{ query: '{ categories { name } }' }]],
        ['an empty array', []],
        ['null', null],
        ['a number', 5],
        ['a string', 'query'],
        ['an empty object', {}],
      ])('body with %s → 400 BAD_REQUEST', async (_label, body) => {
        const answer = await send(urls[executor], { headers: json, body: JSON.stringify(body) });
        expect([answer.status, answer.body.errors?.[0]?.extensions?.code]).toEqual([400, 'BAD_REQUEST']);
      });

      it('an empty body and a body that is not JSON → 400 BAD_REQUEST', async () => {
        for (const body of ['', '{"query":']) {
          const answer = await send(urls[executor], { headers: json, body });
          expect([answer.status, answer.body.errors?.[0]?.extensions?.code]).toEqual([400, 'BAD_REQUEST']);
        }
      });

      const twoOperations = 'query A { categories { name } } query B { categories { id } }';
      it.each([
        ['no operationName', { query: twoOperations }],
        ['an unknown operationName', { query: twoOperations, operationName: 'C' }],
        ['an operationName on a one-operation document that names another', { query: 'query A { categories { name } }', operationName: 'B' }],
      ])('several operations with %s → 400 OPERATION_RESOLUTION_FAILURE', async (_label, body) => {
        const answer = await send(urls[executor], { headers: json, body: JSON.stringify(body) });
        expect([answer.status, answer.body.errors?.[0]?.extensions?.code]).toEqual([400, 'OPERATION_RESOLUTION_FAILURE']);
        expect(answer.body.errors?.[0]?.message).toMatch(/operation/i);
      });

      it('the same over GET', async () => {
        const preflighted = { 'apollo-require-preflight': 'true' };
        const get = (parameters: Record<string, string>) =>
          send(`${urls[executor]}?${new URLSearchParams(parameters).toString()}`, { method: 'GET', headers: preflighted });
        const cases: [Record<string, string>, string][] = [
          [{ query: '{ categories { name } }', extensions: '5' }, 'BAD_REQUEST'],
          [{ query: '{ categories { name } }', extensions: '"x"' }, 'BAD_REQUEST'],
          [{ query: '{ categories { name } }', variables: '[1]' }, 'BAD_REQUEST'],
          [{ query: '{ categories { name } }', variables: 'not json' }, 'BAD_REQUEST'],
          [{ query: twoOperations }, 'OPERATION_RESOLUTION_FAILURE'],
          [{ query: twoOperations, operationName: 'C' }, 'OPERATION_RESOLUTION_FAILURE'],
          [{}, 'BAD_REQUEST'],
        ];
        for (const [parameters, code] of cases) {
          const answer = await get(parameters);
          expect(`${JSON.stringify(parameters)} → ${answer.status} ${answer.body.errors?.[0]?.extensions?.code}`).toBe(
            `${JSON.stringify(parameters)} → 400 ${code}`,
          );
        }
      });

      it('still answers a well-formed request with null fields', async () => {
        const answer = await send(urls[executor], {
          headers: json,
          body: JSON.stringify({ query: 'query A { categories { name } } query B { categories { id } }', operationName: 'A', variables: null, extensions: null }),
        });
        expect(answer.status).toBe(200);
        expect(answer.body.errors).toBeUndefined();
      });
    });
  });
});
