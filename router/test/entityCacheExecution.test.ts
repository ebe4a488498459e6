import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { publishEntityInvalidation, createLogger, type Viewer } from '@booking/runtime';
import { connectRedis, dropKeys, findFreePort, startRedisServer, testKeyPrefix } from '@booking/testkit';
import { Redis } from 'ioredis';
import { graphql, parse } from 'graphql';
import { readCacheControlHints } from '../src/execution/cacheControlHints';
import { EntityCacheStore } from '../src/execution/entityCacheStore';
import { EntityFetchCache } from '../src/execution/entityFetchCache';
import { EntityInvalidationListener } from '../src/execution/entityInvalidationListener';
import { readEntityKeys } from '../src/execution/entityKeys';
import { PlanExecution } from '../src/execution/planExecutor';
import { SubgraphClient } from '../src/execution/subgraphClient';
import { subgraphErrorPolicy } from '../src/pipeline/subgraphErrorPolicy';
import { SupergraphPlanner } from '../src/supergraphPlanner';
import { compose, subgraphHeader } from './cacheControlSupergraph';

/**
 * The executor with the entity cache over two real HTTP subgraphs of the test supergraph
 * (catalog: titles; bookings: a viewer's private note), counting their calls.
 */
const titles = new Map([['l-1', 'Loft']]);
/** Each viewer's note, by viewer id: what a write changes. */
const notes = new Map<string, string>();
const calls = { catalog: 0, bookings: 0 };

async function serve(name: 'catalog' | 'bookings', typeDefs: string, resolvers: Record<string, unknown>): Promise<{ url: string; server: Server }> {
  const schema = buildSubgraphSchema({ typeDefs: parse(typeDefs), resolvers: resolvers as never });
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      calls[name] += 1;
      const { query, variables } = JSON.parse(body) as { query: string; variables: Record<string, unknown> };
      void graphql({ schema, source: query, variableValues: variables, contextValue: { viewer: request.headers['x-test-viewer'] } }).then((result) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(result));
      });
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, server };
}

describe('the executor with the entity cache', () => {
  const sdl = compose();
  const prefix = testKeyPrefix('entity-cache-exec');
  const redis = connectRedis();
  const listenerConnection = connectRedis();
  const client = new SubgraphClient(5_000);
  const planner = new SupergraphPlanner(sdl);
  const store = new EntityCacheStore(redis, { keyPrefix: prefix, epochTtlMs: 60_000 });
  const cache = new EntityFetchCache(store, readCacheControlHints(sdl), readEntityKeys(sdl), planner.supergraphSchema);
  const servers: Server[] = [];
  let urls: Record<string, string> = {};
  let listener: EntityInvalidationListener;

  beforeAll(async () => {
    const head = subgraphHeader();
    const catalog = await serve('catalog', `${head}
      type Query { listing(id: ID!): Listing @cacheControl(maxAge: 30) listings: [Listing!]! }
      type Listing @key(fields: "id") @cacheControl(maxAge: 60) { id: ID! title: String! host: Host! price: Int! @cacheControl(maxAge: 5) }
      type Host @key(fields: "id") @cacheControl(maxAge: 120) { id: ID! name: String! }`, {
      Query: { listing: (_: unknown, { id }: { id: string }) => ({ id }), listings: () => [{ id: 'l-1' }, { id: 'l-err' }] },
      Listing: { __resolveReference: ({ id }: { id: string }) => ({ id }), title: ({ id }: { id: string }) => titles.get(id) ?? 'unknown' },
    });
    const bookings = await serve('bookings', `${head}
      type Listing @key(fields: "id") { id: ID! myNote: String @cacheControl(maxAge: 10, scope: PRIVATE) related: Listing @cacheControl(inheritMaxAge: true) unhinted: Review }
      type Review { stars: Int! }`, {
      Listing: { __resolveReference: ({ id }: { id: string }) => ({ id }), myNote: ({ id }: { id: string }, __: unknown, context: { viewer?: string }) =>
        id === 'l-err' ? Promise.reject(new Error('note unavailable')) : notes.get(context.viewer ?? '') ?? `note of ${context.viewer ?? 'nobody'}` },
    });
    servers.push(catalog.server, bookings.server);
    urls = { catalog: catalog.url, bookings: bookings.url };
    listener = await EntityInvalidationListener.start(listenerConnection, store, prefix, createLogger('entity-cache-exec', 'silent'));
  });
  afterAll(async () => {
    await listener.close();
    for (const server of servers) server.close();
    await client.close();
    await dropKeys(redis, prefix);
    redis.disconnect();
  });

  async function run(query: string, viewer: Viewer | null) {
    const document = parse(query);
    const plan = planner.planQuery(document, undefined);
    const execution = new PlanExecution(
      { client, subgraphUrls: urls, supergraphSchema: planner.supergraphSchema, subgraphErrors: subgraphErrorPolicy('pass'), entityCache: cache },
      { variables: {}, headers: () => ({ 'content-type': 'application/json', ...(viewer ? { 'x-test-viewer': viewer.userId } : {}) }), viewer },
      {},
    );
    await execution.run(plan.node);
    return { data: execution.data, errors: execution.errors };
  }

  const guest = (userId: string): Viewer => ({ userId, role: 'guest', scopes: [] });
  const eventually = async (check: () => Promise<boolean>) => {
    const until = Date.now() + 5_000;
    while (!(await check())) {
      if (Date.now() > until) throw new Error('not in time');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('serves a second identical read from the cache, and another guest never gets the first one’s PRIVATE entry', async () => {
    const query = '{ listing(id: "l-1") { id myNote title } }';
    const first = await run(query, guest('g-1'));
    expect(first.errors).toEqual([]);
    expect(first.data).toMatchObject({ listing: { id: 'l-1', title: 'Loft', myNote: 'note of g-1' } });
    // The store happens beside the response: read until a read reaches no subgraph.
    await eventually(async () => {
      const count = calls.bookings;
      await run(query, guest('g-1'));
      return calls.bookings === count;
    });
    const settled = calls.bookings;
    expect((await run(query, guest('g-1'))).data).toMatchObject({ listing: { id: 'l-1', title: 'Loft', myNote: 'note of g-1' } });
    expect(calls.bookings).toBe(settled);

    // Another guest never sees g-1's private note.
    expect((await run(query, guest('g-2'))).data).toMatchObject({ listing: { id: 'l-1', title: 'Loft', myNote: 'note of g-2' } });
    expect(calls.bookings).toBe(settled + 1);
  });

  it('evicts on a published change: the next read through the executor fetches the new value', async () => {
    const query = '{ listing(id: "l-1") { id myNote } }';
    await eventually(async () => {
      const count = calls.bookings;
      await run(query, guest('g-3'));
      return calls.bookings === count;
    });
    notes.set('g-3', 'changed after commit');
    await publishEntityInvalidation(redis, prefix, [{ typename: 'Listing', key: { id: 'l-1' } }]);
    await eventually(async () => ((await run(query, guest('g-3'))).data.listing as { myNote?: string }).myNote === 'changed after commit');
  });

  it('is bypassed while its Redis is down (our own redis-server, stopped): reads are still served', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'entity-cache-down-'));
    const own = await startRedisServer({ port: await findFreePort(), dir, appendOnly: false });
    // As EntityCache connects: no offline queue, a short command timeout.
    const connection = new Redis(own.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 100 });
    await new Promise((ready) => connection.once('ready', ready));
    connection.on('error', () => undefined);
    try {
      const ownStore = new EntityCacheStore(connection, { keyPrefix: prefix, epochTtlMs: 60_000 });
      const ownCache = new EntityFetchCache(ownStore, readCacheControlHints(sdl), readEntityKeys(sdl), planner.supergraphSchema);
      const query = '{ listing(id: "l-1") { id myNote } }';
      const viewer = guest('g-4');
      const runWith = async () => {
        const execution = new PlanExecution(
          { client, subgraphUrls: urls, supergraphSchema: planner.supergraphSchema, subgraphErrors: subgraphErrorPolicy('pass'), entityCache: ownCache },
          { variables: {}, headers: () => ({ 'content-type': 'application/json', 'x-test-viewer': viewer.userId }), viewer },
          {},
        );
        await execution.run(planner.planQuery(parse(query), undefined).node);
        return execution;
      };
      await own.stop();
      for (let round = 0; round < 3; round += 1) {
        const count = calls.bookings;
        const served = await runWith();
        expect(served.errors).toEqual([]);
        expect(served.data).toMatchObject({ listing: { id: 'l-1', myNote: 'note of g-4' } });
        expect(calls.bookings).toBe(count + 1);
      }
    } finally {
      connection.disconnect();
      await own.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fetches only the entities it lacks, and puts a subgraph error at the entity it concerns', async () => {
    const viewer = guest('g-5');
    await eventually(async () => {
      const count = calls.bookings;
      await run('{ listing(id: "l-1") { id myNote } }', viewer);
      return calls.bookings === count;
    });
    const count = calls.bookings;
    const mixed = await run('{ listings { id myNote } }', viewer);
    expect(calls.bookings).toBe(count + 1);
    expect(mixed.data).toMatchObject({ listings: [{ id: 'l-1', myNote: 'note of g-5' }, { id: 'l-err' }] });
    expect(mixed.errors).toEqual([expect.objectContaining({ message: 'note unavailable', path: ['listings', 1, 'myNote'] })]);
  });
});
