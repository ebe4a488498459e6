import { startSubgraph, viewerWith, type RunningSubgraph } from '@booking/testkit';

/**
 * `_entities` answers exactly what `listing(id)` answers (issue 9, item 6). A listing has no
 * object rule: by id it is public, unpublished ones included (its host manages it, and a booking
 * made before it was unpublished still shows it); only searches hide unpublished listings.
 */
describe('catalog: _entities applies the Listing rules of listing(id)', () => {
  let catalog: RunningSubgraph;
  const host = viewerWith('HOST');

  beforeAll(async () => {
    catalog = await startSubgraph('catalog');
  });
  afterAll(() => catalog?.dispose());

  it('answers another guest for an unpublished listing just as listing(id) does', async () => {
    const created = await catalog.query<{ createListing: { id: string } }>(
      `mutation($input: CreateListingInput!) { createListing(input: $input) { id } }`,
      { input: { title: 'Hidden', city: 'Lyon', capacity: 2, pricePerNight: { amount: 8000, currency: 'EUR' }, publish: false } },
      host,
    );
    expect(created.errors).toBeUndefined();
    const id = created.data!.createListing.id;
    const stranger = viewerWith('GUEST');

    const entity = await catalog.query<{ _entities: unknown[] }>(
      `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Listing { id title published } } }`,
      { representations: [{ __typename: 'Listing', id }] },
      stranger,
    );
    const root = await catalog.query<{ listing: unknown }>(`query($id: ID!) { listing(id: $id) { id title published } }`, { id }, stranger);
    expect(root.errors).toBeUndefined();
    expect(entity.errors).toBeUndefined();
    expect(entity.data?._entities).toEqual([root.data?.listing]);
    expect(root.data?.listing).toEqual({ id, title: 'Hidden', published: false });
  });
});
