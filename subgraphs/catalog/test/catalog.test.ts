import { committedSdl, fetchEntities, servedSdl, startSubgraph, viewerWith, type RunningSubgraph } from '@booking/testkit';

const CREATE_LISTING = `mutation($input: CreateListingInput!) {
  createListing(input: $input) { id title city capacity pricePerNight { amount currency } host { id } }
}`;
const HOST_ID = '0e7c5f8a-1111-4111-8111-000000000001';
const HOST = viewerWith('HOST', HOST_ID);

function listingInput(overrides: Record<string, unknown> = {}) {
  return { title: 'Loft', city: 'Lisbon', capacity: 2, pricePerNight: { amount: 9500, currency: 'EUR' }, ...overrides };
}

describe('catalog subgraph (real PostgreSQL)', () => {
  let catalog: RunningSubgraph;

  beforeAll(async () => {
    catalog = await startSubgraph('catalog');
  });
  afterAll(() => catalog?.dispose());

  async function createListing(overrides: Record<string, unknown> = {}) {
    const response = await catalog.query<{ createListing: { id: string } }>(CREATE_LISTING, { input: listingInput(overrides) }, HOST);
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.createListing;
  }

  it('creates a listing with its price as Money and its host as a User reference', async () => {
    const response = await catalog.query(CREATE_LISTING, { input: listingInput({ title: 'Alfama loft' }) }, HOST);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({
      createListing: {
        id: expect.any(String),
        title: 'Alfama loft',
        city: 'Lisbon',
        capacity: 2,
        pricePerNight: { amount: 9500, currency: 'EUR' },
        host: { id: HOST_ID },
      },
    });
  });

  it('filters listings by city, case-insensitively, with cursor pages', async () => {
    const kyoto = [await createListing({ city: 'Kyoto', title: 'K1' }), await createListing({ city: 'Kyoto', title: 'K2' })];
    await createListing({ city: 'Berlin', title: 'B1' });
    const response = await catalog.query<{
      listings: { edges: { node: { id: string; city: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
    }>(`{ listings(city: "kyoto", first: 1) { edges { node { id city } } pageInfo { hasNextPage endCursor } } }`);
    expect(response.data?.listings.edges).toEqual([{ node: { id: kyoto[0]!.id, city: 'Kyoto' } }]);
    expect(response.data?.listings.pageInfo.hasNextPage).toBe(true);
    const next = await catalog.query(`query($after: String) { listings(city: "KYOTO", after: $after) { edges { node { id } } pageInfo { hasNextPage } } }`, {
      after: response.data?.listings.pageInfo.endCursor,
    });
    expect(next.data).toEqual({ listings: { edges: [{ node: { id: kyoto[1]!.id } }], pageInfo: { hasNextPage: false } } });
  });

  it.each([
    ['capacity', { capacity: 0 }],
    ['title', { title: '' }],
    ['pricePerNight.currency', { pricePerNight: { amount: 100, currency: 'euro' } }],
    ['pricePerNight.amount', { pricePerNight: { amount: -1, currency: 'EUR' } }],
    ['hostId', { hostId: 'someone' }],
  ])('rejects a bad %s with BAD_USER_INPUT naming it', async (field, overrides) => {
    const response = await catalog.query(CREATE_LISTING, { input: listingInput(overrides) }, viewerWith('ADMIN'));
    expect(response.data).toBeNull();
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.extensions?.fields).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });

  it('lets hosts list only as themselves; admins may list for any host', async () => {
    const otherHost = '0e7c5f8a-1111-4111-8111-000000000002';
    const asHost = await catalog.query(CREATE_LISTING, { input: listingInput({ hostId: otherHost }) }, HOST);
    expect(asHost.errors?.[0]).toMatchObject({
      message: 'Forbidden: only admins may create listings for another host',
      extensions: { code: 'FORBIDDEN' },
    });
    const asAdmin = await catalog.query(CREATE_LISTING, { input: listingInput({ hostId: otherHost }) }, viewerWith('ADMIN'));
    expect(asAdmin.data).toMatchObject({ createListing: { host: { id: otherHost } } });
  });

  it('answers null for an unknown listing', async () => {
    const response = await catalog.query(`{ listing(id: "6b0a4b4e-0000-4000-8000-000000000000") { id } }`);
    expect(response.data).toEqual({ listing: null });
  });

  it('resolves Listing entity references', async () => {
    const listing = await createListing({ title: 'Referenced' });
    const entities = await fetchEntities(
      catalog,
      [{ __typename: 'Listing', id: listing.id }, { __typename: 'Listing', id: 'not-a-uuid' }],
      '... on Listing { id title pricePerNight { amount } }',
    );
    expect(entities).toEqual([{ id: listing.id, title: 'Referenced', pricePerNight: { amount: 9500 } }, null]);
  });

  it('serves the committed SDL as _service.sdl', async () => {
    expect(await servedSdl(catalog)).toBe(committedSdl('catalog'));
  });
});
