import { committedSdl, fetchEntities, servedSdl, startSubgraph, viewerWith, type RunningSubgraph } from '@booking/testkit';

const CREATE_BOOKING = `mutation($input: CreateBookingInput!) {
  createBooking(input: $input) { id status startsAt endsAt listing { id } guest { id } }
}`;
const GUEST = '0e7c5f8a-2222-4222-8222-000000000001';
let listingCounter = 0;
function newListingId(): string {
  listingCounter += 1;
  return `0e7c5f8a-3333-4333-8333-${String(listingCounter).padStart(12, '0')}`;
}

describe('bookings subgraph (real PostgreSQL)', () => {
  let bookings: RunningSubgraph;

  beforeAll(async () => {
    bookings = await startSubgraph('bookings');
  });
  afterAll(() => bookings?.dispose());

  function book(listingId: string, startsAt: string, endsAt: string, guestId = GUEST) {
    return bookings.query<{ createBooking: { id: string; status: string } }>(
      CREATE_BOOKING,
      { input: { listingId, startsAt, endsAt } },
      viewerWith('GUEST', guestId),
    );
  }

  it('holds a free slot', async () => {
    const listingId = newListingId();
    const response = await book(listingId, '2027-03-01T15:00:00Z', '2027-03-04T11:00:00Z');
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({
      createBooking: {
        id: expect.any(String),
        status: 'HELD',
        startsAt: '2027-03-01T15:00:00.000Z',
        endsAt: '2027-03-04T11:00:00.000Z',
        listing: { id: listingId },
        guest: { id: GUEST },
      },
    });
  });

  it('refuses an overlapping booking with BOOKING_CONFLICT and allows back-to-back stays', async () => {
    const listingId = newListingId();
    expect((await book(listingId, '2027-04-01T00:00:00Z', '2027-04-05T00:00:00Z')).errors).toBeUndefined();
    const overlap = await book(listingId, '2027-04-04T00:00:00Z', '2027-04-06T00:00:00Z');
    expect(overlap.data).toBeNull();
    expect(overlap.errors?.[0]?.extensions).toMatchObject({ code: 'BOOKING_CONFLICT', listingId });
    const adjacent = await book(listingId, '2027-04-05T00:00:00Z', '2027-04-07T00:00:00Z');
    expect(adjacent.errors).toBeUndefined();
  });

  it('lets exactly one of many concurrent requests for one slot win (the database decides)', async () => {
    const listingId = newListingId();
    const attempts = await Promise.all(
      Array.from({ length: 20 }, () => book(listingId, '2027-05-01T00:00:00Z', '2027-05-03T00:00:00Z')),
    );
    const codes = attempts.map((attempt) => (attempt.errors ? attempt.errors[0]?.extensions?.code : attempt.data?.createBooking.status));
    expect(codes.filter((code) => code === 'HELD')).toHaveLength(1);
    expect(codes.filter((code) => code === 'BOOKING_CONFLICT')).toHaveLength(19);
  });

  it.each([
    ['endsAt', '2027-06-02T00:00:00Z', '2027-06-01T00:00:00Z'],
    ['endsAt', '2027-06-01T00:00:00Z', '2028-06-02T00:00:00Z'],
  ])('rejects a bad time range with BAD_USER_INPUT naming %s', async (field, startsAt, endsAt) => {
    const response = await book(newListingId(), startsAt, endsAt);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('rejects a malformed date-time variable', async () => {
    const response = await book(newListingId(), 'tomorrow', '2027-06-01T00:00:00Z');
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).toContain('startsAt');
  });

  it('contributes Listing.bookings and User.bookings, batched per entity type', async () => {
    const listingId = newListingId();
    const guestId = '0e7c5f8a-2222-4222-8222-000000000099';
    const first = await book(listingId, '2027-07-01T00:00:00Z', '2027-07-02T00:00:00Z', guestId);
    const second = await book(listingId, '2027-07-02T00:00:00Z', '2027-07-03T00:00:00Z', guestId);
    const ids = [first.data!.createBooking.id, second.data!.createBooking.id];

    const listings = await fetchEntities(
      bookings,
      [{ __typename: 'Listing', id: listingId }, { __typename: 'Listing', id: newListingId() }],
      '... on Listing { id bookings { id } }',
    );
    expect(listings).toEqual([{ id: listingId, bookings: ids.map((id) => ({ id })) }, { id: expect.any(String), bookings: [] }]);

    const users = await fetchEntities(
      bookings,
      [{ __typename: 'User', id: guestId }],
      '... on User { bookings { id status } }',
      viewerWith('GUEST', guestId),
    );
    expect(users).toEqual([{ bookings: ids.map((id) => ({ id, status: 'HELD' })) }]);

    const byId = await fetchEntities(bookings, [{ __typename: 'Booking', id: ids[0] }], '... on Booking { id listing { id } }');
    expect(byId).toEqual([{ id: ids[0], listing: { id: listingId } }]);
  });

  it('shows guests only their own bookings; admins see all', async () => {
    const mine = '0e7c5f8a-2222-4222-8222-000000000777';
    const created = await book(newListingId(), '2027-09-01T00:00:00Z', '2027-09-02T00:00:00Z', mine);
    const id = created.data!.createBooking.id;
    const query = `query($id: ID!) { booking(id: $id) { id } bookings(first: 100) { edges { node { guest { id } } } } }`;
    type Result = { booking: { id: string } | null; bookings: { edges: { node: { guest: { id: string } } }[] } };

    const asOwner = await bookings.query<Result>(query, { id }, viewerWith('GUEST', mine));
    expect(asOwner.data?.booking).toEqual({ id });
    expect(new Set(asOwner.data?.bookings.edges.map((edge) => edge.node.guest.id))).toEqual(new Set([mine]));

    const asOther = await bookings.query<Result>(query, { id }, viewerWith('GUEST'));
    expect(asOther.data).toEqual({ booking: null, bookings: { edges: [] } });

    const asAdmin = await bookings.query<Result>(query, { id }, viewerWith('ADMIN'));
    expect(asAdmin.data?.booking).toEqual({ id });
    expect(asAdmin.data?.bookings.edges.length).toBeGreaterThan(1);

    const othersHistory = await fetchEntities(bookings, [{ __typename: 'User', id: mine }], '... on User { bookings { id } }', viewerWith('GUEST'));
    expect(othersHistory).toEqual([{ bookings: null }]);
  });

  it('serves the committed SDL as _service.sdl', async () => {
    expect(await servedSdl(bookings)).toBe(committedSdl('bookings'));
  });
});
