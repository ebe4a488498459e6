import { routerCallSigner } from '@booking/runtime';
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

  async function newBooking(): Promise<string> {
    day += 1;
    const response = await bookings.query<{ createBooking: { id: string } }>(
      `mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }`,
      {
        input: {
          listingId: LISTING,
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
});
