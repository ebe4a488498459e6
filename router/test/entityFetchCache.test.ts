import type { FetchNode } from '@apollo/query-planner';
import { Supergraph } from '@apollo/federation-internals';
import { entityIdentity, type Viewer } from '@booking/runtime';
import { connectRedis, dropKeys, testKeyPrefix } from '@booking/testkit';
import { readCacheControlHints } from '../src/execution/cacheControlHints';
import { EntityCacheStore } from '../src/execution/entityCacheStore';
import { EntityFetchCache } from '../src/execution/entityFetchCache';
import { readEntityKeys } from '../src/execution/entityKeys';
import { compose } from './cacheControlSupergraph';

function entityFetch(serviceName: string, selection: string, variableUsages: string[] = []): FetchNode {
  const declared = variableUsages.map((name) => `,$${name}:String`).join('');
  const fetch: Pick<FetchNode, 'kind' | 'serviceName' | 'operation' | 'operationKind' | 'variableUsages'> = {
    kind: 'Fetch',
    serviceName,
    operation: `query($representations:[_Any!]!${declared}){_entities(representations:$representations){__typename ...on Listing${selection}}}`,
    operationKind: 'query' as FetchNode['operationKind'],
    variableUsages,
  };
  return fetch as FetchNode;
}

const guest = (userId: string): Viewer => ({ userId, role: 'guest', scopes: ['bookings:read'] });
const listing = (id: string) => JSON.stringify({ __typename: 'Listing', id });

describe('EntityFetchCache', () => {
  const prefix = testKeyPrefix('entity-fetch-cache');
  const redis = connectRedis();
  const store = new EntityCacheStore(redis, { keyPrefix: prefix, epochTtlMs: 60_000 });
  const sdl = compose();
  const cache = new EntityFetchCache(store, readCacheControlHints(sdl), readEntityKeys(sdl), Supergraph.build(sdl).schema.toGraphQLJSSchema());
  afterAll(async () => {
    await dropKeys(redis, prefix);
    redis.disconnect();
  });

  it('a second identical PUBLIC fetch is served from the cache, for any viewer of the same kind', async () => {
    const fetch = entityFetch('catalog', '{title}');
    const first = await cache.lookup(fetch, [listing('p-1'), listing('p-2')], {}, null);
    expect(first?.misses).toEqual([0, 1]);
    await first?.remember([
      { __typename: 'Listing', title: 'Loft' },
      { __typename: 'Listing', title: 'Barn' },
    ]);
    const second = await cache.lookup(fetch, [listing('p-2'), listing('p-1'), listing('p-3')], {}, null);
    expect(second?.values.slice(0, 2)).toEqual([
      { __typename: 'Listing', title: 'Barn' },
      { __typename: 'Listing', title: 'Loft' },
    ]);
    expect(second?.misses).toEqual([2]);
    expect(await redis.pttl(store.slot(entityIdentity({ typename: 'Listing', key: { id: 'p-1' } }), '').indexKey)).toBeGreaterThan(50_000);
  });

  it('keeps a PRIVATE selection per viewer, and caches none of it without one', async () => {
    const fetch = entityFetch('bookings', '{myNote}');
    expect(await cache.lookup(fetch, [listing('v-1')], {}, null)).toBeNull();
    const alice = await cache.lookup(fetch, [listing('v-1')], {}, guest('alice'));
    await alice?.remember([{ __typename: 'Listing', myNote: 'alice’s note' }]);
    expect((await cache.lookup(fetch, [listing('v-1')], {}, guest('alice')))?.values[0]).toEqual({ __typename: 'Listing', myNote: 'alice’s note' });
    const bob = await cache.lookup(fetch, [listing('v-1')], {}, guest('bob'));
    expect(bob?.values[0]).toBeUndefined();
    expect(bob?.misses).toEqual([0]);
  });

  it('keeps an answer per value of the client variables the fetch sends: another value is a miss', async () => {
    // e.g. `title(locale: $locale)`: the answer for one locale is no answer for another.
    const fetch = entityFetch('catalog', '{title}', ['locale']);
    const french = await cache.lookup(fetch, [listing('l-1')], { locale: 'fr' }, null);
    expect(french?.misses).toEqual([0]);
    await french?.remember([{ __typename: 'Listing', title: 'Grenier' }]);
    expect((await cache.lookup(fetch, [listing('l-1')], { locale: 'fr' }, null))?.values[0]).toEqual({ __typename: 'Listing', title: 'Grenier' });
    const english = await cache.lookup(fetch, [listing('l-1')], { locale: 'en' }, null);
    expect(english?.values[0]).toBeUndefined();
    expect(english?.misses).toEqual([0]);
  });

  it('caches nothing of a selection with an unhinted object field', async () => {
    expect(await cache.lookup(entityFetch('bookings', '{unhinted{stars}}'), [listing('u-1')], {}, null)).toBeNull();
  });

  it('an eviction of the entity drops its entries of every subgraph, selection and viewer', async () => {
    const publicFetch = entityFetch('catalog', '{title}');
    const privateFetch = entityFetch('bookings', '{myNote}');
    await (await cache.lookup(publicFetch, [listing('e-1')], {}, null))?.remember([{ __typename: 'Listing', title: 'T' }]);
    await (await cache.lookup(privateFetch, [listing('e-1')], {}, guest('carol')))?.remember([{ __typename: 'Listing', myNote: 'N' }]);
    expect((await cache.lookup(publicFetch, [listing('e-1')], {}, null))?.misses).toEqual([]);
    await store.evict(entityIdentity({ typename: 'Listing', key: { id: 'e-1' } }));
    expect((await cache.lookup(publicFetch, [listing('e-1')], {}, null))?.misses).toEqual([0]);
    expect((await cache.lookup(privateFetch, [listing('e-1')], {}, guest('carol')))?.misses).toEqual([0]);
  });

  it('does not store what was fetched before an eviction that came in between', async () => {
    const fetch = entityFetch('catalog', '{title}');
    const read = await cache.lookup(fetch, [listing('r-1')], {}, null);
    await store.evict(entityIdentity({ typename: 'Listing', key: { id: 'r-1' } }));
    await read?.remember([{ __typename: 'Listing', title: 'old' }]);
    expect((await cache.lookup(fetch, [listing('r-1')], {}, null))?.misses).toEqual([0]);
  });
});
