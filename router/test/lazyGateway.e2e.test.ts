import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  findFreePort,
  graphqlRequest,
  killServiceProcesses,
  residentBytes,
  routerProcessEnv,
  startServiceProcess,
  startStack,
  TEST_PASSWORD,
  type Stack,
} from '@booking/testkit';
import type { Router } from '../src/router';

/** router_gateway_built of one router: 1 once Apollo Server and @apollo/gateway are built. */
async function gatewayBuilt(router: Router): Promise<number | undefined> {
  const metric = await router.metrics?.registry.getSingleMetric('router_gateway_built')?.get();
  return metric?.values[0]?.value;
}

/** router_gateway_requests_total of one router, summed over its reasons. */
async function handedOver(router: Router): Promise<number> {
  const metric = await router.metrics?.registry.getSingleMetric('router_gateway_requests_total')?.get();
  return (metric?.values ?? []).reduce((sum, { value }) => sum + value, 0);
}

const LISTINGS = '{ listings(first: 2) { edges { node { id title } } } }';
/** Introspection inside a root fragment, beside other fields: our executor leaves it to @apollo/gateway (reason plan). */
const MIXED = '{ ... on Query { __schema { queryType { name } } } listings(first: 1) { edges { node { id } } } }';
const BUILT_LINE = 'built @apollo/gateway and Apollo Server';

const idle = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * With ROUTER_EXECUTOR=router, Apollo Server and @apollo/gateway are built only when a request
 * needs them (README "Executor"): the router serves everything else without them, builds them
 * once for concurrent first requests, and answers through them as the gateway router does.
 */
describe('the gateway, built on first need', () => {
  let stack: Stack;
  let gatewayUrl: string;
  let gatewayRouter: Router;
  let folder: string;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'lazy-gateway-'));
    stack = await startStack();
    const gateway = await stack.startRouter({ ROUTER_EXECUTOR: 'gateway' });
    gatewayUrl = gateway.url;
    gatewayRouter = gateway.router;
  });
  afterAll(async () => {
    killServiceProcesses();
    await stack?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('is not built for queries, mutations, introspection and refused requests on the default router', async () => {
    const { router, url } = await stack.startRouter();
    expect(await gatewayBuilt(router)).toBe(0);
    const listings = await graphqlRequest(url, LISTINGS);
    expect([listings.status, listings.errors]).toEqual([200, undefined]);
    const registered = await graphqlRequest<{ register: { accessToken: string } }>(
      url,
      'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
      { input: { email: 'lazy-gateway@e2e.example', password: TEST_PASSWORD, displayName: 'lazy', role: 'GUEST' } },
    );
    expect([registered.errors, typeof registered.data?.register.accessToken]).toEqual([undefined, 'string']);
    const introspection = await graphqlRequest(url, '{ __schema { queryType { name } } }');
    expect(introspection.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const invalid = await graphqlRequest(url, '{ nope }');
    expect([invalid.status, invalid.errors?.[0]?.extensions?.code]).toEqual([400, 'GRAPHQL_VALIDATION_FAILED']);
    const badVariable = await graphqlRequest(url, 'query L($first: Int!) { listings(first: $first) { edges { node { id } } } }', { first: 'two' });
    expect([badVariable.status, badVariable.errors?.[0]?.extensions?.code]).toEqual([400, 'BAD_USER_INPUT']);
    const badToken = await graphqlRequest(url, LISTINGS, {}, { authorization: 'Bearer nope' });
    expect(badToken.status).toBe(401);
    expect([await gatewayBuilt(router), await handedOver(router)]).toEqual([0, 0]);
  });

  it('is built by the first request that needs it, once for concurrent ones, and answers as the gateway router', async () => {
    const { router, url } = await stack.startRouter();
    expect(await gatewayBuilt(router)).toBe(0);
    const [expected, ...answers] = await Promise.all([graphqlRequest(gatewayUrl, MIXED), ...Array.from({ length: 5 }, () => graphqlRequest(url, MIXED))]);
    expect(expected?.data?.__schema).toEqual({ queryType: { name: 'Query' } });
    for (const answer of answers) expect(answer).toEqual(expected);
    expect([await gatewayBuilt(router), await handedOver(router)]).toEqual([1, 5]);
    // Once built it serves what it is left; the rest stays on our executor.
    expect(await graphqlRequest(url, MIXED)).toEqual(expected);
    expect((await graphqlRequest(url, LISTINGS)).errors).toBeUndefined();
    expect(await handedOver(router)).toBe(6);
  });

  it('is built at start with ROUTER_EXECUTOR=gateway, which serves everything', async () => {
    expect(await gatewayBuilt(gatewayRouter)).toBe(1);
    const listings = await graphqlRequest(gatewayUrl, LISTINGS);
    expect([listings.status, listings.errors]).toEqual([200, undefined]);
  });

  it('gets supergraph reloads once built', async () => {
    const path = join(folder, 'supergraph.graphql');
    copyFileSync(resolve(__dirname, '..', '..', 'schema', 'supergraph.graphql'), path);
    const { router, url } = await stack.startRouter({ SUPERGRAPH_PATH: path, SUPERGRAPH_WATCH: 'true' });
    // Introspection in a root fragment: served by the gateway (its schema is what reloads here).
    const described = '{ ... on Query { __type(name: "Listing") { description } } listings(first: 1) { edges { node { id } } } }';
    const before = await graphqlRequest<{ __type: { description: string | null } }>(url, described);
    expect(await gatewayBuilt(router)).toBe(1);
    // Listing's description, as the committed supergraph words it, is rewritten in the file.
    const committed = before.data?.__type.description;
    expect(typeof committed).toBe('string');
    const sdl = readFileSync(path, 'utf8');
    expect(sdl).toContain(committed);
    writeFileSync(path, sdl.replace(committed as string, 'Reloaded listing'));
    let description: string | null | undefined;
    for (const deadline = Date.now() + 15_000; Date.now() < deadline && description !== 'Reloaded listing'; await idle(200)) {
      description = (await graphqlRequest<{ __type: { description: string | null } }>(url, described)).data?.__type.description;
    }
    expect(description).toBe('Reloaded listing');
  });

  it('logs one line when it is built, and why; a router process holds less before (RSS figures)', async () => {
    const port = await findFreePort();
    const base = `http://127.0.0.1:${port}`;
    const service = startServiceProcess('router', routerProcessEnv(stack, port));
    await service.waitUntilReady(`${base}/ready`);
    const pid = service.child.pid as number;
    for (let round = 0; round < 20; round += 1) expect((await graphqlRequest(`${base}/graphql`, LISTINGS)).errors).toBeUndefined();
    await idle(3_000);
    const lazy = residentBytes(pid);
    const answers = await Promise.all(Array.from({ length: 4 }, () => graphqlRequest(`${base}/graphql`, MIXED)));
    for (const answer of answers) expect(answer.errors).toBeUndefined();
    for (let round = 0; round < 20; round += 1) await graphqlRequest(`${base}/graphql`, LISTINGS);
    await idle(3_000);
    const built = residentBytes(pid);
    const lines = service.lines.filter((line) => line.msg === BUILT_LINE);
    expect(lines.map((line) => line.reason)).toEqual(['plan']);
    // The figures for the README and the issue (VmRSS at idle after a few queries).
    console.log(`router RSS at idle: ${(lazy / 2 ** 20).toFixed(1)} MiB without the gateway, ${(built / 2 ** 20).toFixed(1)} MiB once built`);
    expect(lazy).toBeGreaterThan(0);
    await service.stop();
  }, 60_000);
});
