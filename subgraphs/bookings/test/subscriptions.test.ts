import { routerCallSigner, SUBSCRIBER_BUFFER } from '@booking/runtime';
import { connectSubscriptions, startSubgraph, TEST_SIGNING_SECRET, viewerWith, waitFor, type RunningSubgraph } from '@booking/testkit';

const GUEST = '0e7c5f8a-6666-4666-8666-000000000001';
const HOST = '0e7c5f8a-6666-4666-8666-0000000000aa';
const LISTING = '0e7c5f8a-7777-4777-8777-000000000001';
const WATCH = `subscription($id: ID!) { bookingUpdated(id: $id) { id status } }`;


describe('bookings subscriptions over graphql-ws (real Redis pub/sub)', () => {
  let bookings: RunningSubgraph;
  let day = 0;

  beforeAll(async () => {
    bookings = await startSubgraph('bookings');
    await bookings.server.database.em.fork().execute(
      `insert into listing_snapshots (listing_id, host_id, title, capacity, nightly_amount, cleaning_fee_amount, currency, published)
       values (?, ?, 'Live loft', 4, 10000, 0, 'EUR', true)`,
      [LISTING, HOST],
    );
  });
  afterAll(() => bookings?.dispose());

  async function newBooking(listingId = LISTING): Promise<string> {
    day += 1;
    const response = await bookings.query<{ createBooking: { id: string } }>(
      `mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }`,
      {
        input: {
          listingId,
          startsAt: new Date(Date.UTC(2032, 0, day)).toISOString(),
          endsAt: new Date(Date.UTC(2032, 0, day, 20)).toISOString(),
          idempotencyKey: `live-${day}`,
        },
      },
      viewerWith('GUEST', GUEST),
    );
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.createBooking.id;
  }

  const asRouter = (viewer: ReturnType<typeof viewerWith> | null) => connectSubscriptions(bookings.graphqlUrl, routerCallSigner(TEST_SIGNING_SECRET, viewer).connectionInit('bookings'));

  it('tells the guest and the host about every change of the booking, after it commits', async () => {
    const id = await newBooking();
    const guest = asRouter(viewerWith('GUEST', GUEST));
    const host = asRouter(viewerWith('HOST', HOST));
    try {
      const watched = guest.subscribe<{ bookingUpdated: { id: string; status: string } }>(WATCH, { id });
      const mine = host.subscribe<{ myBookings: { id: string; status: string } }>('subscription { myBookings { id status } }');
      await waitFor(() => bookings.server.live.activeSubscriptions() === 2);
      await bookings.query(`mutation($id: ID!) { cancelBooking(id: $id) { status } }`, { id }, viewerWith('GUEST', GUEST));
      // The hold's own event may still arrive first; then the cancellation, in commit order.
      await waitFor(() => watched.results.some((result) => result.data?.bookingUpdated.status === 'CANCELLED'));
      await waitFor(() => mine.results.some((result) => result.data?.myBookings.status === 'CANCELLED'));
      const seen = watched.results.map((result) => result.data?.bookingUpdated.status);
      expect(seen[seen.length - 1]).toBe('CANCELLED');
      expect(watched.results.every((result) => result.data?.bookingUpdated.id === id)).toBe(true);
    } finally {
      await guest.dispose();
      await host.dispose();
    }
  });

  it('refuses another guest’s booking, and a connection without the router signature (4403)', async () => {
    const id = await newBooking();
    const stranger = asRouter(viewerWith('GUEST'));
    try {
      const subscription = stranger.subscribe(WATCH, { id });
      await subscription.ended;
      expect(subscription.results[0]?.errors?.[0]).toMatchObject({
        message: 'Forbidden: not a booking you may watch',
        extensions: { code: 'FORBIDDEN' },
      });
    } finally {
      await stranger.dispose();
    }
    const unsigned = connectSubscriptions(bookings.graphqlUrl, {});
    unsigned.subscribe(WATCH, { id });
    expect((await unsigned.closed).code).toBe(4403);
    await unsigned.dispose();
  });

  it('releases every upstream subscription at once when clients complete or drop (no waiting for an event)', async () => {
    const id = await newBooking();
    const clients = Array.from({ length: 40 }, () => asRouter(viewerWith('GUEST', GUEST)));
    const subscriptions = clients.map((client) => client.subscribe(WATCH, { id }));
    await waitFor(() => bookings.server.live.activeSubscriptions() === 40);
    subscriptions.slice(0, 20).forEach((subscription) => subscription.complete());
    clients.slice(20).forEach((client) => client.drop());
    const started = Date.now();
    await waitFor(() => bookings.server.live.activeSubscriptions() === 0, 1_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    await Promise.all(clients.map((client) => client.dispose()));
  });
  describe('a slow myBookings subscriber (one topic, signals for many bookings)', () => {
    const SLOW_HOST = '0e7c5f8a-6666-4666-8666-0000000000bb';
    const SLOW_LISTING = '0e7c5f8a-7777-4777-8777-000000000002';
    const MINE = 'subscription { myBookings { id status } }';
    let ids: string[] = [];

    beforeAll(async () => {
      await bookings.server.database.em.fork().execute(
        `insert into listing_snapshots (listing_id, host_id, title, capacity, nightly_amount, cleaning_fee_amount, currency, published)
         values (?, ?, 'Busy loft', 4, 10000, 0, 'EUR', true)`,
        [SLOW_LISTING, SLOW_HOST],
      );
      ids = [];
      for (let n = 0; n < SUBSCRIBER_BUFFER + 6; n += 1) ids.push(await newBooking(SLOW_LISTING));
    });

    /**
     * Holds every read of a booking (the resolver of each event) while `burst` publishes, so the
     * subscriber's queue fills deterministically; returns once the last signal has reached this
     * instance (a second, in-process subscriber that keeps only the newest sees it: Redis
     * delivers one channel's messages in order, to every subscriber of the instance at once).
     */
    async function whileReadsAreHeld(burst: { bookingId: string; eventId: string }[]): Promise<void> {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holder = bookings.server.database.em.fork().transactional(async (em) => {
        await em.execute('lock table bookings in access exclusive mode');
        locked();
        await released;
      });
      await isLocked;
      const probe = bookings.server.live.subscribe<{ eventId: string }>('MY_BOOKINGS', SLOW_HOST, { latestPer: () => 'newest' });
      try {
        for (const signal of burst) await bookings.server.live.publish({ topic: 'MY_BOOKINGS', id: SLOW_HOST, payload: signal });
        const last = burst[burst.length - 1]?.eventId;
        for (;;) if ((await probe.next()).value?.eventId === last) break;
      } finally {
        await probe.return?.();
        release();
        await holder;
      }
    }

    it('gets the latest state of every booking that changed, however many signals one booking had (nothing missed)', async () => {
      const host = asRouter(viewerWith('HOST', SLOW_HOST));
      try {
        // Earlier tests' subscriptions are released (as their sockets close) before this one counts.
        await waitFor(() => bookings.server.live.activeSubscriptions() === 0);
        const mine = host.subscribe<{ myBookings: { id: string; status: string } }>(MINE);
        await waitFor(() => bookings.server.live.activeSubscriptions() === 1);
        const changed = ids.slice(0, 12);
        // Twelve bookings change once, then the last one 200 times: keeping only the newest 64
        // signals (today's drop-oldest) would have lost the first eleven for good.
        const burst = changed.map((bookingId, n) => ({ bookingId, eventId: `burst-${n}` }));
        for (let n = 0; n < 200; n += 1) burst.push({ bookingId: changed[11] as string, eventId: `hot-${n}` });
        await whileReadsAreHeld(burst);
        const seen = () => new Set(mine.results.map((result) => result.data?.myBookings.id));
        await waitFor(() => changed.every((id) => seen().has(id)) || mine.results.some((result) => result.errors), 10_000);
        expect(mine.results.filter((result) => result.errors)).toEqual([]);
        expect(changed.filter((id) => !seen().has(id))).toEqual([]);
        expect(mine.results.every((result) => result.data?.myBookings.status === 'HELD')).toBe(true);
      } finally {
        await host.dispose();
      }
    });

    it('is ended with a coded SLOW_CONSUMER error, after what it was owed, when more bookings wait than its buffer; the socket and its other subscriptions stay', async () => {
      const host = asRouter(viewerWith('HOST', SLOW_HOST));
      try {
        // Earlier tests' subscriptions are released (as their sockets close) before this one counts.
        await waitFor(() => bookings.server.live.activeSubscriptions() === 0);
        const mine = host.subscribe<{ myBookings: { id: string; status: string } }>(MINE);
        const watched = host.subscribe<{ bookingUpdated: { id: string; status: string } }>(WATCH, { id: ids[0] });
        await waitFor(() => bookings.server.live.activeSubscriptions() === 2);
        await whileReadsAreHeld(ids.map((bookingId, n) => ({ bookingId, eventId: `many-${n}` })));
        const outcome = await Promise.race([mine.ended, new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 10_000))]);
        expect(outcome).toEqual({});
        const last = mine.results[mine.results.length - 1];
        expect(last?.errors?.[0]).toMatchObject({
          message: expect.stringMatching(/fell more than 64 updates behind.*subscribe again/),
          extensions: { code: 'SLOW_CONSUMER' },
        });
        // Before the error, every signal it had taken: the one in flight and the 64 queued.
        const delivered = mine.results.slice(0, -1).map((result) => result.data?.myBookings.id);
        expect(delivered).toHaveLength(SUBSCRIBER_BUFFER + 1);
        expect(delivered.filter((id) => !ids.includes(id as string))).toEqual([]);
        // The socket (the router's pooled upstream) is still open and serves the other subscription.
        await bookings.server.live.publish({ topic: 'BOOKING_UPDATED', id: ids[0] as string, payload: { bookingId: ids[0], eventId: 'after-slow' } });
        await watched.nth(1);
        expect(watched.results[0]?.data?.bookingUpdated.id).toBe(ids[0]);
        const stillOpen = await Promise.race([host.closed, Promise.resolve('open')]);
        expect(stillOpen).toBe('open');
      } finally {
        await host.dispose();
      }
    });
  });
});
