import { randomUUID } from 'node:crypto';
import { startSubgraph, viewerWith, type RunningSubgraph } from '@booking/testkit';

const SEARCH = `query($city: String, $startsAt: DateTimeISO, $endsAt: DateTimeISO, $guests: Int, $minPrice: Int, $maxPrice: Int,
  $category: String, $sort: ListingSort, $first: Int, $after: String) {
  searchListings(city: $city, startsAt: $startsAt, endsAt: $endsAt, guests: $guests, minPrice: $minPrice, maxPrice: $maxPrice,
    category: $category, sort: $sort, first: $first, after: $after) {
    edges { node { title } } pageInfo { hasNextPage endCursor }
  }
}`;

type Page = { searchListings: { edges: { node: { title: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

describe('catalog search (real PostgreSQL)', () => {
  let catalog: RunningSubgraph;
  const host = viewerWith('HOST');
  const ids: Record<string, string> = {};

  const titles = async (variables: Record<string, unknown>) => {
    const response = await catalog.query<Page>(SEARCH, variables);
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.searchListings.edges.map((edge) => edge.node.title);
  };

  beforeAll(async () => {
    catalog = await startSubgraph('catalog');
    const admin = viewerWith('ADMIN');
    await catalog.query(`mutation { createCategory(slug: "rooms", name: "Rooms") { id } }`, {}, admin);
    const listings = [
      { title: 'Porto cheap', city: 'Porto', capacity: 2, price: 5000, category: 'rooms' },
      { title: 'Porto mid', city: 'Porto', capacity: 4, price: 9000, category: null },
      { title: 'Porto dear', city: 'Porto', capacity: 6, price: 20000, category: 'rooms' },
      { title: 'Porto draft', city: 'Porto', capacity: 6, price: 1000, category: null, publish: false },
      { title: 'Braga', city: 'Braga', capacity: 2, price: 4000, category: null },
    ];
    for (const listing of listings) {
      const response = await catalog.query<{ createListing: { id: string } }>(
        `mutation($input: CreateListingInput!) { createListing(input: $input) { id } }`,
        {
          input: {
            title: listing.title,
            city: listing.city,
            capacity: listing.capacity,
            pricePerNight: { amount: listing.price, currency: 'EUR' },
            category: listing.category,
            publish: listing.publish ?? true,
          },
        },
        host,
      );
      ids[listing.title] = response.data!.createListing.id;
    }
  });
  afterAll(() => catalog?.dispose());

  it('finds published listings in a city, cheapest first, with keyset pages', async () => {
    expect(await titles({ city: 'porto' })).toEqual(['Porto cheap', 'Porto mid', 'Porto dear']);
    expect(await titles({ city: 'Porto', sort: 'PRICE_DESC' })).toEqual(['Porto dear', 'Porto mid', 'Porto cheap']);
    const first = await catalog.query<Page>(SEARCH, { city: 'Porto', first: 2 });
    expect(first.data!.searchListings.pageInfo.hasNextPage).toBe(true);
    const rest = await titles({ city: 'Porto', first: 2, after: first.data!.searchListings.pageInfo.endCursor });
    expect(rest).toEqual(['Porto dear']);
  });

  it('filters by guests, price range and category', async () => {
    expect(await titles({ city: 'Porto', guests: 3 })).toEqual(['Porto mid', 'Porto dear']);
    expect(await titles({ city: 'Porto', minPrice: 6000, maxPrice: 10000 })).toEqual(['Porto mid']);
    expect(await titles({ category: 'rooms' })).toEqual(['Porto cheap', 'Porto dear']);
  });

  it('hides listings taken for any part of the stay, and shows them again once the booking ends', async () => {
    const bookingId = randomUUID();
    const occupy = (active: boolean) =>
      catalog.server.database.em.fork().execute(
        `insert into listing_occupancy (booking_id, listing_id, starts_at, ends_at, active) values (?, ?, ?, ?, ?)
         on conflict (booking_id) do update set active = excluded.active`,
        [bookingId, ids['Porto mid'], '2028-06-10T15:00:00Z', '2028-06-13T11:00:00Z', active],
      );
    await occupy(true);
    const stay = { city: 'Porto', startsAt: '2028-06-12T15:00:00Z', endsAt: '2028-06-15T11:00:00Z' };
    expect(await titles(stay)).toEqual(['Porto cheap', 'Porto dear']);
    expect(await titles({ ...stay, startsAt: '2028-06-13T11:00:00Z' })).toEqual(['Porto cheap', 'Porto mid', 'Porto dear']);
    await occupy(false);
    expect(await titles(stay)).toEqual(['Porto cheap', 'Porto mid', 'Porto dear']);
  });

  it('refuses half a date range, an inverted price range and a cursor of another sort', async () => {
    const half = await catalog.query(SEARCH, { startsAt: '2028-06-12T15:00:00Z' });
    expect(half.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'endsAt' });
    const prices = await catalog.query(SEARCH, { minPrice: 10, maxPrice: 5 });
    expect(prices.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'maxPrice' });
    const first = await catalog.query<Page>(SEARCH, { city: 'Porto', first: 1 });
    const mixed = await catalog.query(SEARCH, { city: 'Porto', sort: 'NEWEST', after: first.data!.searchListings.pageInfo.endCursor });
    expect(mixed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('lets only the host or an admin change a listing, and announces every change', async () => {
    const update = `mutation($id: ID!, $input: UpdateListingInput!) { updateListing(id: $id, input: $input) { title capacity } }`;
    const denied = await catalog.query(update, { id: ids['Braga'], input: { title: 'Hijacked' } }, viewerWith('HOST'));
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const changed = await catalog.query(update, { id: ids['Braga'], input: { capacity: 3 } }, host);
    expect(changed.data).toEqual({ updateListing: { title: 'Braga', capacity: 3 } });
    const unpublished = await catalog.query(`mutation($id: ID!) { unpublishListing(id: $id) { published } }`, { id: ids['Braga'] }, host);
    expect(unpublished.data).toEqual({ unpublishListing: { published: false } });
    expect(await titles({ city: 'Braga' })).toEqual([]);
    const events = await catalog.server.database.em
      .fork()
      .execute<{ payload: { capacity: number; published: boolean } }[]>(
        `select payload from outbox_events where type = 'listing.published' and payload->>'listingId' = ? order by position`,
        [ids['Braga']],
      );
    expect(events.map((event) => [event.payload.capacity, event.payload.published])).toEqual([
      [2, true],
      [3, true],
      [3, false],
    ]);
  });
});
