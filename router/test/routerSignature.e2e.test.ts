/**
 * Issue 9 item 5: a router signature is good for one call to one subgraph with one body.
 * Headers are captured from the real router on their way to bookings (a recording proxy in
 * between), then replayed, retargeted and altered against the real subgraphs. Item 13: no
 * error response carries a stack trace.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { routerCallSigner } from '@booking/runtime';
import {
  connectSubscriptions,
  graphqlRequestBody,
  postGraphQL,
  registerThroughRouter,
  startStack,
  TEST_SIGNING_SECRET,
  viewerWith,
  waitFor,
  type Stack,
} from '@booking/testkit';

interface Captured {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Forwards to `target` and records the router's signed headers and the exact body of each call. */
async function recordingProxy(): Promise<{ server: Server; url: string; captured: Captured[]; setTarget(url: string): void }> {
  const captured: Captured[] = [];
  let target = '';
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (name.startsWith('x-booking-') && typeof value === 'string') headers[name] = value;
      }
      captured.push({ headers, body });
      fetch(target, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body })
        .then(async (answer) => response.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text()))
        .catch(() => response.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return { server, url, captured, setTarget: (next) => (target = next) };
}

describe('router → subgraph signatures (real router, subgraphs, PostgreSQL, Redis)', () => {
  let stack: Stack;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let guestToken: string;
  const MY_BOOKINGS = '{ bookings(first: 5) { edges { node { id status } } } }';

  beforeAll(async () => {
    proxy = await recordingProxy();
    stack = await startStack({ routerEnv: { BOOKINGS_URL: proxy.url } });
    proxy.setTarget(stack.subgraphs.bookings.graphqlUrl);
    guestToken = (await registerThroughRouter(stack, `sig-${Date.now()}@example.com`)).accessToken;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    proxy?.server.closeAllConnections();
    await new Promise((resolve) => proxy?.server.close(resolve));
  });

  /** One bookings call as the router made it (and bookings answered it). */
  async function capturedBookingsCall(): Promise<Captured> {
    proxy.captured.length = 0;
    const through = await stack.query(MY_BOOKINGS, {}, guestToken);
    expect(through.errors).toBeUndefined();
    expect(proxy.captured).toHaveLength(1);
    return proxy.captured[0] as Captured;
  }

  const refused = (answer: { status: number; errors?: { message: string; extensions?: { code?: string } }[] }, reason: string) => {
    expect(answer.status).toBe(403);
    expect(answer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(answer.errors?.[0]?.message).toContain(reason);
  };

  it('refuses a replayed call (same headers, same body)', async () => {
    const call = await capturedBookingsCall();
    refused(await postGraphQL(stack.subgraphs.bookings.graphqlUrl, call.body, call.headers), 'already used');
  });

  it('refuses a call retargeted at another subgraph (headers captured for bookings sent to accounts)', async () => {
    const call = await capturedBookingsCall();
    refused(await postGraphQL(stack.subgraphs.accounts.graphqlUrl, call.body, call.headers), 'invalid router signature');
    const introspection = graphqlRequestBody('{ __schema { queryType { name } } }');
    refused(await postGraphQL(stack.subgraphs.accounts.graphqlUrl, introspection, call.headers), 'invalid router signature');
  });

  it('refuses an altered call (same headers, another body)', async () => {
    const call = await capturedBookingsCall();
    const altered = call.body.replace('first', 'last');
    expect(altered).not.toBe(call.body);
    refused(await postGraphQL(stack.subgraphs.bookings.graphqlUrl, altered, call.headers), 'invalid router signature');
    refused(await postGraphQL(stack.subgraphs.bookings.graphqlUrl, `${call.body} `, call.headers), 'invalid router signature');
  });

  it('refuses a signature older than the window', async () => {
    const body = graphqlRequestBody('{ __typename }');
    const old = routerCallSigner(TEST_SIGNING_SECRET, null, () => Date.now() - 20_000).request('bookings', body);
    refused(await postGraphQL(stack.subgraphs.bookings.graphqlUrl, body, old), 'expired');
    const fresh = routerCallSigner(TEST_SIGNING_SECRET, null).request('bookings', body);
    expect((await postGraphQL(stack.subgraphs.bookings.graphqlUrl, body, fresh)).status).toBe(200);
  });

  it('accepts a subscription socket once per signed connection_init, and only at its subgraph', async () => {
    const init = routerCallSigner(TEST_SIGNING_SECRET, viewerWith('GUEST')).connectionInit('bookings');
    const first = connectSubscriptions(stack.subgraphs.bookings.graphqlUrl, init);
    const watching = first.subscribe('subscription { myBookings { id } }');
    const replayed = connectSubscriptions(stack.subgraphs.bookings.graphqlUrl, init);
    const retargeted = connectSubscriptions(stack.subgraphs.accounts.graphqlUrl, routerCallSigner(TEST_SIGNING_SECRET, viewerWith('GUEST')).connectionInit('bookings'));
    try {
      replayed.subscribe('subscription { myBookings { id } }');
      retargeted.subscribe('subscription { __typename }');
      expect((await replayed.closed).code).toBe(4403);
      expect((await retargeted.closed).code).toBe(4403);
      // The first socket was accepted and stays open.
      await waitFor(() => stack.subgraphs.bookings.server.live.activeSubscriptions() === 1);
      expect(await Promise.race([first.closed.then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('open'), 200))])).toBe('open');
      watching.complete();
    } finally {
      await Promise.all([first.dispose(), replayed.dispose(), retargeted.dispose()]);
    }
  });

  it('never puts a stack trace in a subgraph error (403 for an unsigned call)', async () => {
    const response = await fetch(stack.subgraphs.bookings.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: graphqlRequestBody('{ __typename }'),
    });
    const text = await response.text();
    expect(response.status).toBe(403);
    expect(JSON.parse(text)).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });
    expect(text).not.toContain('stacktrace');
    expect(text).not.toMatch(/\.[jt]s:\d+/);
  });

  it('never puts a stack trace in an error through the router (its executor and the gateway path)', async () => {
    // PostgreSQL refuses a NUL byte in text: an error from deep inside catalog.
    const query = 'query($city: String) { listings(first: 1, city: $city) { edges { node { id } } } }';
    const variables = { city: 'Lis\u0000bon' };
    const posted = await fetch(stack.routerUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    const search = new URLSearchParams({ query, variables: JSON.stringify(variables) });
    const got = await fetch(`${stack.routerUrl}?${search}`, { headers: { 'apollo-require-preflight': 'true' } });
    for (const text of [await posted.text(), await got.text()]) {
      expect((JSON.parse(text) as { errors?: unknown[] }).errors?.length).toBeGreaterThan(0);
      expect(text).not.toContain('stacktrace');
    }
  });
});
