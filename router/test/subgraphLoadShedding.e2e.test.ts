import { request, type ClientRequest } from 'node:http';
import { startStack, type Stack } from '@booking/testkit';

const CAP = 2;

/**
 * Each subgraph instance sheds load too (its own MAX_CONCURRENT_REQUESTS): past the cap a call
 * is refused at once with 503 SERVICE_OVERLOADED and Retry-After, before its body is read,
 * rather than queued on the database pool. The router takes that as the subgraph being
 * unavailable for now: it retries a query's call, and the client's field gets
 * SUBGRAPH_UNAVAILABLE with the reason, the rest of the response served.
 *
 * A slot is held by a request whose body is still arriving: admitted, not yet answerable.
 */
describe("a subgraph's own load shedding (MAX_CONCURRENT_REQUESTS)", () => {
  let stack: Stack;
  let routerUrl: string;
  const held: ClientRequest[] = [];

  beforeAll(async () => {
    stack = await startStack({ config: { catalog: { maxConcurrentRequests: CAP } } });
    routerUrl = (await stack.startRouter({ SUBGRAPH_RETRIES: '1', SUBGRAPH_RETRY_BASE_DELAY_MS: '10' })).url;
  });
  afterAll(async () => {
    for (const pending of held) pending.destroy();
    await stack?.stop();
  });

  /** A POST to catalog whose body never finishes arriving: it holds one of catalog's slots. */
  async function holdSlot(): Promise<ClientRequest> {
    const pending = request(stack.subgraphs.catalog.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '1000' } });
    pending.on('error', () => undefined);
    pending.write('{"query":');
    held.push(pending);
    // Admitted once the server has the headers: wait until it has seen them.
    await new Promise((settled) => setTimeout(settled, 150));
    return pending;
  }

  const postCatalog = () =>
    fetch(stack.subgraphs.catalog.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });

  const throughRouter = async () => {
    const response = await fetch(routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ listing(id: "00000000-0000-4000-8000-000000000000") { id title } __typename }' }),
    });
    return { status: response.status, body: (await response.json()) as { data?: Record<string, unknown> | null; errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[] } };
  };

  it('refuses a call past its cap at once with 503, Retry-After and SERVICE_OVERLOADED; serves again once a slot is free', async () => {
    const first = await holdSlot();
    await holdSlot();
    const refused = await postCatalog();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { errors: { extensions: unknown }[] }).errors[0]?.extensions).toEqual({ code: 'SERVICE_OVERLOADED', limit: CAP });

    first.destroy();
    await new Promise((settled) => setTimeout(settled, 100));
    // Admitted now: refused only for lacking the router's signature (only the router may call).
    const admitted = await postCatalog();
    expect(admitted.status).toBe(403);
    expect(((await admitted.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).not.toBe('SERVICE_OVERLOADED');
  });

  it('reaches a router client as SUBGRAPH_UNAVAILABLE with the reason, the rest of the response served', async () => {
    for (const pending of held.splice(0)) pending.destroy();
    await new Promise((settled) => setTimeout(settled, 100));
    await holdSlot();
    await holdSlot();
    const overloaded = await throughRouter();
    expect(overloaded.status).toBe(200);
    // The router's own field is served; catalog's is null with an error saying why.
    expect(overloaded.body.data).toEqual({ listing: null, __typename: 'Query' });
    expect(overloaded.body.errors).toEqual([
      // A whole fetch failed: its error has no path, as for any subgraph failure (README).
      expect.objectContaining({
        message: 'Subgraph "catalog" is overloaded (serving its most requests at once); retry shortly',
        extensions: expect.objectContaining({ code: 'SUBGRAPH_UNAVAILABLE', reason: 'SERVICE_OVERLOADED', serviceName: 'catalog' }),
      }),
    ]);

    for (const pending of held.splice(0)) pending.destroy();
    await new Promise((settled) => setTimeout(settled, 100));
    // Served: catalog answers that no such listing exists, without an error.
    const served = await throughRouter();
    expect(served.body).toEqual({ data: { listing: null, __typename: 'Query' } });
  });
});
