import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, createLogger, entityIdentity, invalidationMessage, parseInvalidationMessage, publishEntityInvalidation, type EntityReference } from '@booking/runtime';
import { connectRedis, dropKeys, findFreePort, startRedisServer, testKeyPrefix, type RunningRedis } from '@booking/testkit';
import { Redis } from 'ioredis';
import { EntityCacheStore } from '../src/execution/entityCacheStore';
import { EntityInvalidationListener } from '../src/execution/entityInvalidationListener';

const logger = createLogger('entity-cache-test', 'silent');

const listing = entityIdentity({ typename: 'Listing', key: { id: 'l-1' } });

describe('the entity invalidation contract', () => {
  it('names an entity the same whichever order its key fields come in', () => {
    expect(entityIdentity({ typename: 'Stay', key: { id: 1, tenant: { region: 'eu', name: 'a' } } })).toBe(
      entityIdentity({ typename: 'Stay', key: { tenant: { name: 'a', region: 'eu' }, id: 1 } }),
    );
    expect(canonicalJson({ b: [2, { d: 1, c: null }], a: 'x' })).toBe('{"a":"x","b":[2,{"c":null,"d":1}]}');
  });

  it('carries one commit’s entities in one message and drops malformed entries with a count', () => {
    const text = invalidationMessage([
      { typename: 'Listing', key: { id: 'l-1' } },
      { typename: 'Booking', key: { id: 'b-9' } },
    ]);
    expect(parseInvalidationMessage(text)).toEqual({
      references: [
        { typename: 'Listing', key: { id: 'l-1' } },
        { typename: 'Booking', key: { id: 'b-9' } },
      ],
      malformed: 0,
    });
    expect(parseInvalidationMessage('[{"typename":"Listing"},{"typename":"","key":{}},{"typename":"Listing","key":{"id":"2"}}]')).toEqual({
      references: [{ typename: 'Listing', key: { id: '2' } }],
      malformed: 2,
    });
    expect(parseInvalidationMessage('not json')).toEqual({ references: [], malformed: 1 });
  });
});

describe('EntityCacheStore on the shared Redis', () => {
  const prefix = testKeyPrefix('entity-cache');
  const redis = connectRedis();
  const store = new EntityCacheStore(redis, { keyPrefix: prefix, epochTtlMs: 60_000 });
  afterAll(async () => {
    await dropKeys(redis, prefix);
    redis.disconnect();
  });

  it('misses, stores under the epoch it saw, then hits', async () => {
    const slot = store.slot(listing, 'catalog|selection-a');
    const [first] = await store.lookup([slot]);
    expect(first).toEqual({ kind: 'miss', epoch: '0' });
    expect(await store.store(slot, '0', '{"title":"Loft"}', 10_000)).toBe(true);
    expect(await store.lookup([slot])).toEqual([{ kind: 'hit', value: '{"title":"Loft"}' }]);
    expect(await redis.pttl(slot.entryKey)).toBeGreaterThan(9_000);
  });

  it('keeps selections and viewers apart', async () => {
    const alice = store.slot(listing, 'catalog|selection-b|viewer:alice');
    const bob = store.slot(listing, 'catalog|selection-b|viewer:bob');
    expect(alice.entryKey).not.toBe(bob.entryKey);
    expect(alice.indexKey).toBe(bob.indexKey);
    await store.store(alice, '0', '{"private":"alice"}', 10_000);
    expect(await store.lookup([alice, bob])).toEqual([
      { kind: 'hit', value: '{"private":"alice"}' },
      { kind: 'miss', epoch: '0' },
    ]);
  });

  it('evicts every entry of the entity and no other entity’s', async () => {
    const other = entityIdentity({ typename: 'Listing', key: { id: 'l-2' } });
    const mine = [store.slot(listing, 'v1'), store.slot(listing, 'v2')];
    const theirs = store.slot(other, 'v1');
    const before = await store.lookup([...mine, theirs]);
    const epochOf = (index: number) => {
      const found = before[index];
      if (found?.kind !== 'miss' || found.epoch === null) throw new Error('expected a miss');
      return found.epoch;
    };
    for (const [index, slot] of [...mine, theirs].entries()) expect(await store.store(slot, epochOf(index), `"${index}"`, 10_000)).toBe(true);
    expect(await store.evict(listing)).toBeGreaterThanOrEqual(2);
    const after = await store.lookup([...mine, theirs]);
    expect(after[0]).toEqual({ kind: 'miss', epoch: expect.any(String) as string });
    expect(after[1]?.kind).toBe('miss');
    expect(after[2]).toEqual({ kind: 'hit', value: '"2"' });
  });

  it('refuses to store a value read before an eviction (the read/write race)', async () => {
    const race = entityIdentity({ typename: 'Listing', key: { id: 'race' } });
    const slot = store.slot(race, 'v');
    const [seen] = await store.lookup([slot]);
    if (seen?.kind !== 'miss' || seen.epoch === null) throw new Error('expected a miss');
    // The write commits and its event evicts while the read's fetch is still in flight.
    await store.evict(race);
    expect(await store.store(slot, seen.epoch, '"stale"', 10_000)).toBe(false);
    expect((await store.lookup([slot]))[0]?.kind).toBe('miss');
    const [fresh] = await store.lookup([slot]);
    if (fresh?.kind !== 'miss' || fresh.epoch === null) throw new Error('expected a miss');
    expect(await store.store(slot, fresh.epoch, '"fresh"', 10_000)).toBe(true);
  });

  it('finds no stale value under concurrent reads and evicting writes', async () => {
    const contested = entityIdentity({ typename: 'Listing', key: { id: 'contested' } });
    const slot = store.slot(contested, 'v');
    let version = 0;
    // The newest version whose eviction has completed: a lookup begun after it must not see older.
    let evicted = 0;
    let stale = 0;
    // A reader: look up; on a miss "fetch" the current version (after a delay) and store it.
    const reader = async () => {
      for (let round = 0; round < 40; round += 1) {
        const mustSee = evicted;
        const [found] = await store.lookup([slot]);
        if (found?.kind === 'hit') {
          if (Number(found.value) < mustSee) stale += 1;
          continue;
        }
        if (found?.epoch == null) continue;
        const fetched = version;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
        await store.store(slot, found.epoch, String(fetched), 10_000);
      }
    };
    // A writer: commit a new version, then (as the event arrives) evict.
    const writer = async () => {
      for (let round = 0; round < 20; round += 1) {
        version += 1;
        const committed = version;
        await store.evict(contested);
        evicted = committed;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
      }
    };
    await Promise.all([reader(), reader(), reader(), writer()]);
    // After the last eviction, nothing older than the last version may be served.
    const [last] = await store.lookup([slot]);
    if (last?.kind === 'hit') expect(Number(last.value)).toBe(version);
    expect(stale).toBe(0);
  });
});

describe('EntityCacheStore when Redis is down', () => {
  let server: RunningRedis;
  let client: Redis;
  const dir = mkdtempSync(join(tmpdir(), 'entity-cache-redis-'));
  const errors: unknown[] = [];
  beforeAll(async () => {
    server = await startRedisServer({ port: await findFreePort(), dir, appendOnly: false });
    client = new Redis(server.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, disconnectTimeout: 50 });
    await new Promise((ready) => client.once('ready', ready));
  });
  afterAll(async () => {
    client.disconnect();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers misses that may not be stored, and never throws', async () => {
    const store = new EntityCacheStore(client, { keyPrefix: 'down:', epochTtlMs: 60_000 }, (error) => errors.push(error));
    const slot = store.slot(listing, 'v');
    expect(await store.store(slot, '0', '"x"', 10_000)).toBe(true);
    await server.stop();
    expect(await store.lookup([slot])).toEqual([{ kind: 'miss', epoch: null }]);
    expect(await store.store(slot, '0', '"y"', 10_000)).toBe(false);
    expect(await store.evict(listing)).toBe(0);
    expect(errors.length).toBeGreaterThanOrEqual(3);
  });
});

describe('EntityInvalidationListener: every router instance evicts what a subgraph publishes', () => {
  const prefix = testKeyPrefix('entity-invalidation');
  const publisher = connectRedis();
  const storeConnections = [connectRedis(), connectRedis()];
  const listeners: EntityInvalidationListener[] = [];
  afterAll(async () => {
    for (const listener of listeners) await listener.close();
    await dropKeys(publisher, prefix);
    publisher.disconnect();
    for (const connection of storeConnections) connection.disconnect();
  });

  it('evicts the published entities in both instances, and nothing else', async () => {
    const stores = storeConnections.map((connection) => new EntityCacheStore(connection, { keyPrefix: prefix, epochTtlMs: 60_000 }));
    const evicted: string[][] = [[], []];
    for (const [index, store] of stores.entries()) {
      listeners.push(await EntityInvalidationListener.start(connectRedis(), store, prefix, logger, (identity) => evicted[index]?.push(identity)));
    }
    const [first, second] = stores as [EntityCacheStore, EntityCacheStore];
    const changed = slotOf(first, { typename: 'Booking', key: { id: 'b-1' } });
    const untouched = slotOf(first, { typename: 'Booking', key: { id: 'b-2' } });
    expect(await first.store(changed, '0', '"confirmed"', 10_000)).toBe(true);
    expect(await first.store(untouched, '0', '"pending"', 10_000)).toBe(true);
    // The second instance reads what the first cached: the store is shared.
    expect((await second.lookup([changed]))[0]).toEqual({ kind: 'hit', value: '"confirmed"' });

    await publishEntityInvalidation(publisher, prefix, [{ typename: 'Booking', key: { id: 'b-1' } }]);
    const identity = entityIdentity({ typename: 'Booking', key: { id: 'b-1' } });
    await waitFor(() => evicted.every((list) => list.includes(identity)));
    expect((await second.lookup([changed]))[0]?.kind).toBe('miss');
    expect((await first.lookup([changed]))[0]?.kind).toBe('miss');
    expect((await second.lookup([untouched]))[0]).toEqual({ kind: 'hit', value: '"pending"' });
  });

  it('ignores a malformed message (logged) and keeps listening', async () => {
    await publisher.publish(`${prefix}entity-invalidation`, 'garbage');
    const store = new EntityCacheStore(storeConnections[0] as Redis, { keyPrefix: prefix, epochTtlMs: 60_000 });
    const slot = slotOf(store, { typename: 'Listing', key: { id: 'after-garbage' } });
    expect(await store.store(slot, '0', '"x"', 10_000)).toBe(true);
    await publishEntityInvalidation(publisher, prefix, [{ typename: 'Listing', key: { id: 'after-garbage' } }]);
    await waitFor(async () => (await store.lookup([slot]))[0]?.kind === 'miss');
  });
});

function slotOf(store: EntityCacheStore, reference: EntityReference) {
  return store.slot(entityIdentity(reference), 'catalog|selection');
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
