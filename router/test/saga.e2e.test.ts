import { randomUUID } from 'node:crypto';
import {
  adminThroughRouter,
  eventually,
  registerThroughRouter,
  startStack,
  waitUntilBookable,
  type Stack,
  type TestSession,
} from '@booking/testkit';

const GOOD_CARD = { number: '4242424242424242', expMonth: 12, expYear: 2035, cvc: '123' };
const DECLINED_CARD = { ...GOOD_CARD, number: '4000000000000002' };
const FLAKY_CARD = { ...GOOD_CARD, number: '4000000000000119' };
const DAY_MS = 24 * 60 * 60 * 1000;

type BookingView = { id: string; status: string; total: { amount: number }; invoice: InvoiceView | null };
type InvoiceView = { id: string; status: string; amount: { amount: number }; refunded: { amount: number }; lines: { description: string; quantity: number; amount: { amount: number } }[] };

const BOOKING = `query($id: ID!) { booking(id: $id) { id status total { amount }
  invoice { id status amount { amount } refunded { amount } lines { description quantity amount { amount } } } } }`;
const PAY = `mutation($input: PayInvoiceInput!) { payInvoice(input: $input) { id status } }`;

/** Book → invoice → pay → confirm; cancel → refund; decline → expire; faults. Real events end to end. */
function sagaHarness(holdTtlSeconds: number) {
  const harness = {} as { stack: Stack; admin: TestSession; host: TestSession; guest: TestSession; listingId: string };

  beforeAll(async () => {
    harness.stack = await startStack({ env: { bookings: { HOLD_TTL_SECONDS: String(holdTtlSeconds), HOLD_EXPIRY_INTERVAL_MS: '200' } } });
    harness.admin = await adminThroughRouter(harness.stack);
    harness.host = await registerThroughRouter(harness.stack, `host-${randomUUID()}@saga.example`, 'HOST');
    harness.guest = await registerThroughRouter(harness.stack, `guest-${randomUUID()}@saga.example`);
    const listing = await harness.stack.query<{ createListing: { id: string } }>(
      `mutation { createListing(input: { title: "Saga loft", city: "Lisbon", capacity: 3,
        pricePerNight: { amount: 10000, currency: "EUR" }, cleaningFee: { amount: 2500, currency: "EUR" } }) { id } }`,
      {},
      harness.host.accessToken,
    );
    harness.listingId = listing.data!.createListing.id;
    await waitUntilBookable(harness.stack, harness.listingId, harness.guest);
  });
  afterAll(() => harness.stack?.stop());

  // Double entry holds after every test: per ledger transaction and overall.
  afterEach(async () => {
    const rows = await harness.stack.subgraphs.billing.server.database.em
      .fork()
      .execute<{ unbalanced: string }[]>(
        `select count(*) as unbalanced from (select transaction_id from ledger_entries group by transaction_id, currency
           having sum(debit_minor) <> sum(credit_minor)) t`,
      );
    expect(Number(rows[0]?.unbalanced)).toBe(0);
    const trial = await harness.stack.query<{ ledgerTrialBalance: { debits: { amount: number }; credits: { amount: number } }[] }>(
      '{ ledgerTrialBalance { account debits { amount } credits { amount } } }',
      {},
      harness.admin.accessToken,
    );
    const sum = (key: 'debits' | 'credits') => trial.data!.ledgerTrialBalance.reduce((total, row) => total + row[key].amount, 0);
    expect(sum('debits')).toBe(sum('credits'));
  });

  return harness;
}

function isoDaysFromNow(days: number, hour = 15): string {
  const date = new Date(Date.now() + days * DAY_MS);
  date.setUTCHours(hour, 0, 0, 0);
  return date.toISOString();
}

async function book(h: { stack: Stack; listingId: string }, session: TestSession, startsAt: string, endsAt: string, key: string = randomUUID()) {
  const response = await h.stack.query<{ createBooking: { id: string; status: string } }>(
    `mutation($input: CreateBookingInput!) { createBooking(input: $input) { id status } }`,
    { input: { listingId: h.listingId, startsAt, endsAt, guests: 2, idempotencyKey: key } },
    session.accessToken,
  );
  if (!response.data) throw new Error(JSON.stringify(response.errors));
  return response.data.createBooking.id;
}

function bookingOf(stack: Stack, session: TestSession, id: string) {
  return () => stack.query<{ booking: BookingView }>(BOOKING, { id }, session.accessToken);
}

describe('booking saga through the router', () => {
  const h = sagaHarness(900);

  it('book → invoice issued from the hold → pay → CONFIRMED; cancel a week ahead → full refund', async () => {
    const id = await book(h, h.guest, isoDaysFromNow(30), isoDaysFromNow(33, 11));
    const invoiced = await eventually(bookingOf(h.stack, h.guest, id), (data) => data.booking.invoice !== null);
    expect(invoiced.booking).toMatchObject({
      status: 'HELD',
      total: { amount: 32500 },
      invoice: {
        status: 'OPEN',
        amount: { amount: 32500 },
        lines: [
          { description: 'Nights', quantity: 3, amount: { amount: 30000 } },
          { description: 'Cleaning fee', quantity: 1, amount: { amount: 2500 } },
        ],
      },
    });
    const invoiceId = invoiced.booking.invoice!.id;
    const paid = await h.stack.query(PAY, { input: { invoiceId, idempotencyKey: 'pay-1', card: GOOD_CARD } }, h.guest.accessToken);
    expect(paid.data).toEqual({ payInvoice: { id: expect.any(String), status: 'SUCCEEDED' } });
    const confirmed = await eventually(bookingOf(h.stack, h.guest, id), (data) => data.booking.status === 'CONFIRMED');
    expect(confirmed.booking.invoice?.status).toBe('PAID');

    const cancelled = await h.stack.query(`mutation($id: ID!) { cancelBooking(id: $id) { status } }`, { id }, h.guest.accessToken);
    expect(cancelled.data).toEqual({ cancelBooking: { status: 'CANCELLED' } });
    const refunded = await eventually(bookingOf(h.stack, h.guest, id), (data) => data.booking.invoice?.status === 'REFUNDED');
    expect(refunded.booking.invoice?.refunded).toEqual({ amount: 32500 });

    const again = await h.stack.query(`mutation($id: ID!) { cancelBooking(id: $id) { status } }`, { id }, h.guest.accessToken);
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'ILLEGAL_TRANSITION', from: 'CANCELLED', to: 'CANCELLED' });
  });

  it('search hides a listing while it is held for the dates, and shows it again after cancellation', async () => {
    const startsAt = isoDaysFromNow(300);
    const endsAt = isoDaysFromNow(302, 11);
    const search = () =>
      h.stack.query<{ searchListings: { edges: { node: { id: string } }[] } }>(
        `query($s: DateTimeISO!, $e: DateTimeISO!) { searchListings(city: "Lisbon", startsAt: $s, endsAt: $e, first: 100) { edges { node { id } } } }`,
        { s: startsAt, e: endsAt },
      );
    const listed = (data: { searchListings: { edges: { node: { id: string } }[] } }) =>
      data.searchListings.edges.some((edge) => edge.node.id === h.listingId);
    await eventually(search, listed);
    const id = await book(h, h.guest, startsAt, endsAt);
    await eventually(search, (data) => !listed(data));
    await h.stack.query(`mutation($id: ID!) { cancelBooking(id: $id) { status } }`, { id }, h.guest.accessToken);
    await eventually(search, listed);
  });

  it('refunds half when the guest cancels three days ahead, all when the host cancels', async () => {
    const late = await book(h, h.guest, isoDaysFromNow(3), isoDaysFromNow(4, 11));
    const byHost = await book(h, h.guest, isoDaysFromNow(5), isoDaysFromNow(6, 11));
    for (const id of [late, byHost]) {
      const invoiced = await eventually(bookingOf(h.stack, h.guest, id), (data) => data.booking.invoice !== null);
      await h.stack.query(PAY, { input: { invoiceId: invoiced.booking.invoice!.id, idempotencyKey: id, card: GOOD_CARD } }, h.guest.accessToken);
      await eventually(bookingOf(h.stack, h.guest, id), (data) => data.booking.status === 'CONFIRMED');
    }
    await h.stack.query(`mutation($id: ID!) { cancelBooking(id: $id) { status } }`, { id: late }, h.guest.accessToken);
    await h.stack.query(`mutation($id: ID!) { cancelBooking(id: $id) { status } }`, { id: byHost }, h.host.accessToken);
    const half = await eventually(bookingOf(h.stack, h.guest, late), (data) => data.booking.invoice?.status === 'PARTIALLY_REFUNDED');
    expect(half.booking.invoice?.refunded.amount).toBe(Math.floor(half.booking.invoice!.amount.amount / 2));
    const full = await eventually(bookingOf(h.stack, h.guest, byHost), (data) => data.booking.invoice?.status === 'REFUNDED');
    expect(full.booking.invoice?.refunded.amount).toBe(full.booking.invoice?.amount.amount);
  });

  it('charges once for 20 concurrent payments with one idempotency key', async () => {
    const id = await book(h, h.guest, isoDaysFromNow(60), isoDaysFromNow(61, 11));
    const invoiceId = (await eventually(bookingOf(h.stack, h.guest, id), (data) => data.booking.invoice !== null)).booking.invoice!.id;
    const attempts = await Promise.all(
      Array.from({ length: 20 }, () =>
        h.stack.query<{ payInvoice: { id: string } }>(PAY, { input: { invoiceId, idempotencyKey: 'once', card: GOOD_CARD } }, h.guest.accessToken),
      ),
    );
    expect(attempts.every((attempt) => attempt.errors === undefined)).toBe(true);
    expect(new Set(attempts.map((attempt) => attempt.data?.payInvoice.id)).size).toBe(1);
    const [charges] = await h.stack.subgraphs.billing.server.database.em
      .fork()
      .execute<{ payments: string; cash: string }[]>(
        `select (select count(*) from payments where invoice_id = ? and status = 'SUCCEEDED') as payments,
                (select count(*) from ledger_entries where account = 'cash' and debit_minor > 0 and description like ?) as cash`,
        [invoiceId, `%${invoiceId}%`],
      );
    expect({ payments: Number(charges?.payments), cash: Number(charges?.cash) }).toEqual({ payments: 1, cash: 1 });
    const another = await h.stack.query(PAY, { input: { invoiceId, idempotencyKey: 'second', card: GOOD_CARD } }, h.guest.accessToken);
    expect(another.errors?.[0]?.extensions?.code).toBe('INVOICE_NOT_PAYABLE');
  });

  it('returns the same booking for 20 concurrent createBooking calls with one key', async () => {
    const startsAt = isoDaysFromNow(90);
    const endsAt = isoDaysFromNow(91, 11);
    const ids = await Promise.all(Array.from({ length: 20 }, () => book(h, h.guest, startsAt, endsAt, 'one-booking')));
    expect(new Set(ids).size).toBe(1);
  });

  it('lets exactly one of 100 concurrent bookings of one slot win through the router', async () => {
    const guests = await Promise.all(Array.from({ length: 4 }, () => registerThroughRouter(h.stack, `racer-${randomUUID()}@saga.example`)));
    const startsAt = isoDaysFromNow(120);
    const endsAt = isoDaysFromNow(122, 11);
    const attempts = await Promise.all(
      Array.from({ length: 100 }, (_, index) =>
        h.stack.query<{ createBooking: { status: string } }>(
          `mutation($input: CreateBookingInput!) { createBooking(input: $input) { status } }`,
          { input: { listingId: h.listingId, startsAt, endsAt, idempotencyKey: `racer-${index}` } },
          guests[index % guests.length]!.accessToken,
        ),
      ),
    );
    const outcomes = attempts.map((attempt) => attempt.data?.createBooking.status ?? attempt.errors?.[0]?.extensions?.code);
    expect(outcomes.filter((outcome) => outcome === 'HELD')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'BOOKING_CONFLICT')).toHaveLength(99);
  });

  it('reports a transient provider failure without charging, and a declined card without confirming', async () => {
    const id = await book(h, h.guest, isoDaysFromNow(150), isoDaysFromNow(151, 11));
    const invoiceId = (await eventually(bookingOf(h.stack, h.guest, id), (data) => data.booking.invoice !== null)).booking.invoice!.id;
    const flaky = await h.stack.query(PAY, { input: { invoiceId, idempotencyKey: 'k1', card: FLAKY_CARD } }, h.guest.accessToken);
    expect(flaky.errors?.[0]?.extensions?.code).toBe('PAYMENT_PROVIDER_UNAVAILABLE');
    const declined = await h.stack.query(PAY, { input: { invoiceId, idempotencyKey: 'k2', card: DECLINED_CARD } }, h.guest.accessToken);
    expect(declined.errors?.[0]).toMatchObject({ extensions: { code: 'PAYMENT_DECLINED', reason: 'card_declined' } });
    const replay = await h.stack.query(PAY, { input: { invoiceId, idempotencyKey: 'k2', card: DECLINED_CARD } }, h.guest.accessToken);
    expect(replay.errors?.[0]?.extensions?.paymentId).toBe(declined.errors?.[0]?.extensions?.paymentId);
    const state = await bookingOf(h.stack, h.guest, id)();
    expect(state.data?.booking).toMatchObject({ status: 'HELD', invoice: { status: 'OPEN' } });
    const stranger = await registerThroughRouter(h.stack, `stranger-${randomUUID()}@saga.example`);
    const notYours = await h.stack.query(PAY, { input: { invoiceId, idempotencyKey: 'k3', card: GOOD_CARD } }, stranger.accessToken);
    expect(notYours.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('invoices every booking exactly once after billing was down while they were made', async () => {
    await h.stack.subgraphs.billing.stop();
    const ids: string[] = [];
    for (let n = 0; n < 5; n += 1) ids.push(await book(h, h.guest, isoDaysFromNow(200 + 2 * n), isoDaysFromNow(201 + 2 * n, 11)));
    await h.stack.subgraphs.billing.restart();
    for (const id of ids) await eventually(bookingOf(h.stack, h.guest, id), (data) => data.booking.invoice !== null);
    const rows = await h.stack.subgraphs.billing.server.database.em
      .fork()
      .execute<{ booking_id: string; invoices: string }[]>('select booking_id, count(*) as invoices from invoices where booking_id in (?) group by booking_id', [ids]);
    expect(rows.map((row) => Number(row.invoices))).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('hold expiry through the router', () => {
  const h = sagaHarness(2);

  it('a declined payment leaves the hold, which EXPIRES; the invoice is voided and the slot is free again', async () => {
    const startsAt = isoDaysFromNow(40);
    const endsAt = isoDaysFromNow(42, 11);
    const id = await book(h, h.guest, startsAt, endsAt);
    const invoiceId = (await eventually(bookingOf(h.stack, h.guest, id), (data) => data.booking.invoice !== null)).booking.invoice!.id;
    const declined = await h.stack.query(PAY, { input: { invoiceId, idempotencyKey: 'd', card: DECLINED_CARD } }, h.guest.accessToken);
    expect(declined.errors?.[0]?.extensions?.code).toBe('PAYMENT_DECLINED');
    const expired = await eventually(bookingOf(h.stack, h.guest, id), (data) => data.booking.status === 'EXPIRED' && data.booking.invoice?.status === 'VOID');
    expect(expired.booking).toMatchObject({ status: 'EXPIRED', invoice: { status: 'VOID' } });
    const other = await registerThroughRouter(h.stack, `next-${randomUUID()}@saga.example`);
    await expect(book(h, other, startsAt, endsAt)).resolves.toEqual(expect.any(String));
  });
});
