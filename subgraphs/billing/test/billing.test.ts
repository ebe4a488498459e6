import { committedSdl, fetchEntities, servedSdl, startSubgraph, viewerWith, type RunningSubgraph } from '@booking/testkit';

const ISSUE = `mutation($input: IssueInvoiceInput!) { issueInvoice(input: $input) { id status amount { amount currency } booking { id } } }`;
const BOOKING = '0e7c5f8a-4444-4444-8444-000000000001';
const GUEST = '0e7c5f8a-5555-4555-8555-000000000001';
const ADMIN = viewerWith('ADMIN');

describe('billing subgraph (real PostgreSQL)', () => {
  let billing: RunningSubgraph;

  beforeAll(async () => {
    billing = await startSubgraph('billing');
  });
  afterAll(() => billing?.dispose());

  it('issues one invoice per booking and refuses a second as INVOICE_EXISTS', async () => {
    const input = { bookingId: BOOKING, guestId: GUEST, amount: { amount: 28500, currency: 'EUR' } };
    const first = await billing.query(ISSUE, { input }, ADMIN);
    expect(first.errors).toBeUndefined();
    expect(first.data).toEqual({
      issueInvoice: { id: expect.any(String), status: 'OPEN', amount: { amount: 28500, currency: 'EUR' }, booking: { id: BOOKING } },
    });
    const second = await billing.query(ISSUE, { input }, ADMIN);
    expect(second.errors?.[0]?.extensions).toMatchObject({ code: 'INVOICE_EXISTS', bookingId: BOOKING });
  });

  it('rejects a float amount before execution and a lower-case currency as BAD_USER_INPUT', async () => {
    const float = await billing.query(ISSUE, { input: { bookingId: BOOKING, guestId: GUEST, amount: { amount: 12.5, currency: 'EUR' } } }, ADMIN);
    expect(float.status).toBe(400);
    expect(float.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const currency = await billing.query(ISSUE, { input: { bookingId: BOOKING, guestId: GUEST, amount: { amount: 1, currency: 'eur' } } }, ADMIN);
    expect(currency.errors?.[0]?.extensions?.fields).toEqual([expect.objectContaining({ field: 'amount.currency' })]);
  });

  it('contributes Booking.invoice (null before one is issued) and resolves Invoice references', async () => {
    const withoutInvoice = '0e7c5f8a-4444-4444-8444-000000000002';
    const bookings = await fetchEntities(
      billing,
      [{ __typename: 'Booking', id: BOOKING }, { __typename: 'Booking', id: withoutInvoice }],
      '... on Booking { id invoice { status amount { amount } } }',
      viewerWith('GUEST', GUEST),
    );
    expect(bookings).toEqual([
      { id: BOOKING, invoice: { status: 'OPEN', amount: { amount: 28500 } } },
      { id: withoutInvoice, invoice: null },
    ]);
    const stranger = await billing.query(
      `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Booking { invoice { id } } } }`,
      { representations: [{ __typename: 'Booking', id: BOOKING }] },
      viewerWith('GUEST'),
    );
    expect(stranger.data).toEqual({ _entities: [{ invoice: null }] });
    expect(stranger.errors?.[0]).toMatchObject({ path: ['_entities', 0, 'invoice'], extensions: { code: 'FORBIDDEN' } });
    const invoice = await billing.query<{ invoice: null }>(`{ invoice(id: "6b0a4b4e-0000-4000-8000-000000000000") { id } }`, {}, ADMIN);
    expect(invoice.data).toEqual({ invoice: null });
  });

  it('serves the committed SDL as _service.sdl', async () => {
    expect(await servedSdl(billing)).toBe(committedSdl('billing'));
  });
});
