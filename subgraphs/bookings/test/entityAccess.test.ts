import { startSubgraph, viewerWith, type RunningSubgraph } from '@booking/testkit';

/**
 * `_entities` applies the same object rules as `booking(id)` (issue 9, item 6): signed as
 * another guest, a reference to someone else's booking is refused with FORBIDDEN at its path,
 * never answered, and never nulled without saying why.
 */
const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Booking { id status guestId: guest { id } total { amount } } }
}`;
const HOST = '0e7c5f8a-2222-4222-8222-0000000000bb';
const LISTING = '0e7c5f8a-3333-4333-8333-0000000009aa';

describe('bookings: _entities applies the Booking object rules', () => {
  let bookings: RunningSubgraph;
  const guestA = viewerWith('GUEST');
  const guestB = viewerWith('GUEST');
  let bookingId: string;

  beforeAll(async () => {
    bookings = await startSubgraph('bookings');
    await bookings.server.database.em.fork().execute(
      `insert into listing_snapshots (listing_id, host_id, title, capacity, nightly_amount, cleaning_fee_amount, currency, published)
       values (?, ?, 'Snapshot', 4, 10000, 2500, 'EUR', true)`,
      [LISTING, HOST],
    );
    const created = await bookings.query<{ createBooking: { id: string } }>(
      `mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }`,
      { input: { listingId: LISTING, startsAt: '2027-05-01T00:00:00Z', endsAt: '2027-05-03T00:00:00Z', idempotencyKey: 'entity-access' } },
      guestA,
    );
    expect(created.errors).toBeUndefined();
    bookingId = created.data!.createBooking.id;
  });
  afterAll(() => bookings?.dispose());

  const fetchAs = (viewer: ReturnType<typeof viewerWith> | null, id: string) =>
    bookings.query<{ _entities: unknown[] }>(ENTITIES, { representations: [{ __typename: 'Booking', id }] }, viewer);

  it("refuses another guest's booking with FORBIDDEN at the entity's path", async () => {
    const response = await fetchAs(guestB, bookingId);
    expect(response.data).toEqual({ _entities: [null] });
    expect(response.errors).toEqual([expect.objectContaining({ path: ['_entities', 0], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);
    expect(JSON.stringify(response)).not.toContain('10000');

    const anonymous = await fetchAs(null, bookingId);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // The root field answers the same way: one rule for both paths.
    const root = await bookings.query(`query($id: ID!) { booking(id: $id) { id status } }`, { id: bookingId }, guestB);
    expect(root.data).toEqual({ booking: null });
    expect(root.errors?.[0]).toMatchObject({ path: ['booking'], extensions: { code: 'FORBIDDEN' } });
  });

  it('answers its guest, the host of its listing and admins, as booking(id) does', async () => {
    for (const viewer of [guestA, viewerWith('HOST', HOST), viewerWith('ADMIN')]) {
      const response = await fetchAs(viewer, bookingId);
      expect(response.errors).toBeUndefined();
      expect(response.data?._entities).toEqual([{ id: bookingId, status: 'HELD', guestId: { id: guestA.userId }, total: { amount: 2 * 10000 + 2500 } }]);
    }
  });

  it('answers null for an id it does not have, like booking(id)', async () => {
    const response = await fetchAs(guestA, '6b0a4b4e-0000-4000-8000-000000000009');
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ _entities: [null] });
  });
});
