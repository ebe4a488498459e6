import { committedSdl, fetchEntities, servedSdl, startSubgraph, viewerWith, type RunningSubgraph } from '@booking/testkit';
import { expireHolds } from '../src/services/holdExpiry';

const CREATE_BOOKING = `mutation($input: CreateBookingInput!) {
  createBooking(input: $input) { id status startsAt endsAt listing { id } guest { id } }
}`;
const GUEST = '0e7c5f8a-2222-4222-8222-000000000001';
const HOST = '0e7c5f8a-2222-4222-8222-0000000000aa';
let listingCounter = 0;
let bookings: RunningSubgraph;

/** What catalog's listing.published event would have left in bookings' listing_snapshots. */
async function listingKnownToBookings(options: { capacity?: number; published?: boolean } = {}): Promise<string> {
  listingCounter += 1;
  const listingId = `0e7c5f8a-3333-4333-8333-${String(listingCounter).padStart(12, '0')}`;
  await bookings.server.database.em.fork().execute(
    `insert into listing_snapshots (listing_id, host_id, title, capacity, nightly_amount, cleaning_fee_amount, currency, published)
     values (?, ?, 'Snapshot', ?, 10000, 2500, 'EUR', ?)`,
    [listingId, HOST, options.capacity ?? 4, options.published ?? true],
  );
  return listingId;
}
const newListingId = listingKnownToBookings;

describe('bookings subgraph (real PostgreSQL)', () => {
  beforeAll(async () => {
    bookings = await startSubgraph('bookings');
  });
  afterAll(() => bookings?.dispose());

  function book(listingId: string, startsAt: string, endsAt: string, guestId = GUEST, extra: Record<string, unknown> = {}) {
    return bookings.query<{ createBooking: { id: string; status: string } }>(
      CREATE_BOOKING,
      { input: { listingId, startsAt, endsAt, idempotencyKey: `key-${Math.random()}`, ...extra } },
      viewerWith('GUEST', guestId),
    );
  }

  it('holds a free slot, priced from the listing snapshot, with a hold deadline', async () => {
    const listingId = await newListingId();
    const before = Date.now();
    const response = await bookings.query(
      `mutation($input: CreateBookingInput!) {
        createBooking(input: $input) { id status startsAt endsAt guests nights total { amount currency } holdExpiresAt listing { id } guest { id } }
      }`,
      { input: { listingId, startsAt: '2027-03-01T15:00:00Z', endsAt: '2027-03-04T11:00:00Z', guests: 2, idempotencyKey: 'hold-1' } },
      viewerWith('GUEST', GUEST),
    );
    expect(response.errors).toBeUndefined();
    const created = (response.data as { createBooking: { holdExpiresAt: string } }).createBooking;
    expect(created).toEqual({
      id: expect.any(String),
      status: 'HELD',
      startsAt: '2027-03-01T15:00:00.000Z',
      endsAt: '2027-03-04T11:00:00.000Z',
      guests: 2,
      nights: 3,
      total: { amount: 3 * 10000 + 2500, currency: 'EUR' },
      holdExpiresAt: expect.any(String),
      listing: { id: listingId },
      guest: { id: GUEST },
    });
    expect(new Date(created.holdExpiresAt).getTime() - before).toBeGreaterThanOrEqual(899_000);
  });

  it('quotes the price createBooking charges, and refuses unknown listings and too many guests', async () => {
    const listingId = await newListingId();
    const quote = await bookings.query(
      `query($l: ID!) { quote(listingId: $l, startsAt: "2027-03-01T00:00:00Z", endsAt: "2027-03-03T00:00:00Z", guests: 2) {
        nights nightly { amount } cleaningFee { amount } total { amount currency } } }`,
      { l: listingId },
    );
    expect(quote.data).toEqual({ quote: { nights: 2, nightly: { amount: 10000 }, cleaningFee: { amount: 2500 }, total: { amount: 22500, currency: 'EUR' } } });
    const unknown = await book('0e7c5f8a-3333-4333-8333-999999999999', '2027-03-01T00:00:00Z', '2027-03-02T00:00:00Z');
    expect(unknown.errors?.[0]?.extensions?.code).toBe('LISTING_UNAVAILABLE');
    const hidden = await book(await listingKnownToBookings({ published: false }), '2027-03-01T00:00:00Z', '2027-03-02T00:00:00Z');
    expect(hidden.errors?.[0]?.extensions?.code).toBe('LISTING_UNAVAILABLE');
    const crowd = await book(await listingKnownToBookings({ capacity: 2 }), '2027-03-01T00:00:00Z', '2027-03-02T00:00:00Z', GUEST, { guests: 3 });
    expect(crowd.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'guests' });
  });

  it('returns the first booking for a retried idempotency key, and refuses the key with other arguments', async () => {
    const listingId = await newListingId();
    const input = { listingId, startsAt: '2027-11-01T00:00:00Z', endsAt: '2027-11-02T00:00:00Z', idempotencyKey: 'same-key' };
    const attempts = await Promise.all(
      Array.from({ length: 20 }, () => bookings.query<{ createBooking: { id: string } }>(CREATE_BOOKING, { input }, viewerWith('GUEST', GUEST))),
    );
    const ids = new Set(attempts.map((attempt) => attempt.data?.createBooking.id));
    expect(attempts.every((attempt) => attempt.errors === undefined)).toBe(true);
    expect(ids.size).toBe(1);
    const [row] = await bookings.server.database.em.fork().execute<{ count: string }[]>(
      'select count(*) from bookings where listing_id = ?',
      [listingId],
    );
    expect(Number(row?.count)).toBe(1);
    const changed = await bookings.query(CREATE_BOOKING, { input: { ...input, endsAt: '2027-11-03T00:00:00Z' } }, viewerWith('GUEST', GUEST));
    expect(changed.errors?.[0]?.extensions).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', field: 'idempotencyKey' });
  });

  it('enforces the state machine: cancel a hold once, never twice', async () => {
    const created = await book(await newListingId(), '2027-12-01T00:00:00Z', '2027-12-02T00:00:00Z');
    const id = created.data!.createBooking.id;
    const cancel = `mutation($id: ID!) { cancelBooking(id: $id) { status } }`;
    expect((await bookings.query(cancel, { id }, viewerWith('GUEST', GUEST))).data).toEqual({ cancelBooking: { status: 'CANCELLED' } });
    const again = await bookings.query(cancel, { id }, viewerWith('GUEST', GUEST));
    expect(again.errors?.[0]).toMatchObject({
      message: 'A CANCELLED booking cannot become CANCELLED',
      extensions: { code: 'ILLEGAL_TRANSITION', from: 'CANCELLED', to: 'CANCELLED' },
    });
    const stranger = await book(await newListingId(), '2027-12-01T00:00:00Z', '2027-12-02T00:00:00Z');
    const denied = await bookings.query(cancel, { id: stranger.data!.createBooking.id }, viewerWith('GUEST'));
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses an overlapping booking with BOOKING_CONFLICT and allows back-to-back stays', async () => {
    const listingId = await newListingId();
    expect((await book(listingId, '2027-04-01T00:00:00Z', '2027-04-05T00:00:00Z')).errors).toBeUndefined();
    const overlap = await book(listingId, '2027-04-04T00:00:00Z', '2027-04-06T00:00:00Z');
    expect(overlap.data).toBeNull();
    expect(overlap.errors?.[0]?.extensions).toMatchObject({ code: 'BOOKING_CONFLICT', listingId });
    const adjacent = await book(listingId, '2027-04-05T00:00:00Z', '2027-04-07T00:00:00Z');
    expect(adjacent.errors).toBeUndefined();
  });

  it('lets exactly one of 100 concurrent requests for one slot win (the database decides)', async () => {
    const listingId = await newListingId();
    const attempts = await Promise.all(
      Array.from({ length: 100 }, (_, index) =>
        book(listingId, '2027-05-01T00:00:00Z', '2027-05-03T00:00:00Z', `0e7c5f8a-2222-4222-8222-${String(index).padStart(12, '0')}`),
      ),
    );
    const codes = attempts.map((attempt) => (attempt.errors ? attempt.errors[0]?.extensions?.code : attempt.data?.createBooking.status));
    expect(codes.filter((code) => code === 'HELD')).toHaveLength(1);
    expect(codes.filter((code) => code === 'BOOKING_CONFLICT')).toHaveLength(99);
  });

  it.each([
    ['endsAt', '2027-06-02T00:00:00Z', '2027-06-01T00:00:00Z'],
    ['endsAt', '2027-06-01T00:00:00Z', '2028-06-02T00:00:00Z'],
  ])('rejects a bad time range with BAD_USER_INPUT naming %s', async (field, startsAt, endsAt) => {
    const response = await book(await newListingId(), startsAt, endsAt);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('rejects a malformed date-time variable', async () => {
    const response = await book(await newListingId(), 'tomorrow', '2027-06-01T00:00:00Z');
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).toContain('startsAt');
  });

  it('contributes Listing.bookings and User.bookings, batched per entity type', async () => {
    const listingId = await newListingId();
    const guestId = '0e7c5f8a-2222-4222-8222-000000000099';
    const first = await book(listingId, '2027-07-01T00:00:00Z', '2027-07-02T00:00:00Z', guestId);
    const second = await book(listingId, '2027-07-02T00:00:00Z', '2027-07-03T00:00:00Z', guestId);
    const ids = [first.data!.createBooking.id, second.data!.createBooking.id];

    const listings = await fetchEntities(
      bookings,
      [{ __typename: 'Listing', id: listingId }, { __typename: 'Listing', id: await newListingId() }],
      '... on Listing { id bookings { id } }',
      viewerWith('HOST', HOST),
    );
    expect(listings).toEqual([{ id: listingId, bookings: ids.map((id) => ({ id })) }, { id: expect.any(String), bookings: [] }]);

    const users = await fetchEntities(
      bookings,
      [{ __typename: 'User', id: guestId }],
      '... on User { bookings { id status } }',
      viewerWith('GUEST', guestId),
    );
    expect(users).toEqual([{ bookings: ids.map((id) => ({ id, status: 'HELD' })) }]);

    const byId = await fetchEntities(bookings, [{ __typename: 'Booking', id: ids[0] }], '... on Booking { id listing { id } }', viewerWith('GUEST', guestId));
    expect(byId).toEqual([{ id: ids[0], listing: { id: listingId } }]);
  });

  it('shows guests only their own bookings; admins see all', async () => {
    const mine = '0e7c5f8a-2222-4222-8222-000000000777';
    const created = await book(await newListingId(), '2027-09-01T00:00:00Z', '2027-09-02T00:00:00Z', mine);
    const id = created.data!.createBooking.id;
    const query = `query($id: ID!) { booking(id: $id) { id } bookings(first: 100) { edges { node { guest { id } } } } }`;
    type Result = { booking: { id: string } | null; bookings: { edges: { node: { guest: { id: string } } }[] } };

    const asOwner = await bookings.query<Result>(query, { id }, viewerWith('GUEST', mine));
    expect(asOwner.data?.booking).toEqual({ id });
    expect(new Set(asOwner.data?.bookings.edges.map((edge) => edge.node.guest.id))).toEqual(new Set([mine]));

    const asOther = await bookings.query<Result>(query, { id }, viewerWith('GUEST'));
    expect(asOther.data).toEqual({ booking: null, bookings: { edges: [] } });
    expect(asOther.errors).toEqual([expect.objectContaining({ path: ['booking'], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);

    const asAdmin = await bookings.query<Result>(query, { id }, viewerWith('ADMIN'));
    expect(asAdmin.data?.booking).toEqual({ id });
    expect(asAdmin.data?.bookings.edges.length).toBeGreaterThan(1);

    const othersHistory = await fetchEntities(bookings, [{ __typename: 'User', id: mine }], '... on User { bookings { id } }', viewerWith('GUEST'));
    expect(othersHistory).toEqual([{ bookings: null }]);
  });

  it('expires overdue holds exactly once even with several instances running the job at once', async () => {
    const listingId = await newListingId();
    const ids: string[] = [];
    for (let day = 1; day <= 30; day += 1) {
      const startsAt = new Date(Date.UTC(2029, 0, day)).toISOString();
      const endsAt = new Date(Date.UTC(2029, 0, day, 20)).toISOString();
      ids.push((await book(listingId, startsAt, endsAt)).data!.createBooking.id);
    }
    const em = bookings.server.database.em.fork();
    await em.execute(`update bookings set hold_expires_at = now() - interval '1 minute' where id in (?)`, [ids]);
    // Three "instances" at once (the subgraph's own background job may run meanwhile, too).
    await Promise.all([1, 2, 3].map(() => expireHolds(bookings.server.database, new Date(), 7)));
    // Rows the subgraph's own job has locked are skipped (SKIP LOCKED) until it commits: keep
    // running the job, with a deadline, until every hold is expired.
    const countExpired = async () =>
      Number((await em.execute<{ count: string }[]>(`select count(*) from bookings where id in (?) and status = 'EXPIRED'`, [ids]))[0]?.count);
    const deadline = Date.now() + 10_000;
    while ((await countExpired()) < 30 && Date.now() < deadline) {
      if ((await expireHolds(bookings.server.database, new Date(), 7)) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await countExpired()).toBe(30);
    const events = await em.execute<{ booking_id: string; n: string }[]>(
      `select payload->>'bookingId' as booking_id, count(*) as n from outbox_events
        where type = 'booking.status_changed' and payload->>'status' = 'EXPIRED' and payload->>'listingId' = ? group by 1`,
      [listingId],
    );
    expect(events).toHaveLength(30);
    expect(events.every((row) => Number(row.n) === 1)).toBe(true);
  });

  it('serves the committed SDL as _service.sdl', async () => {
    expect(await servedSdl(bookings)).toBe(committedSdl('bookings'));
  });
});
