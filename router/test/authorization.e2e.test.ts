import {
  adminThroughRouter,
  invoiceOfBooking,
  registerThroughRouter,
  startStack,
  waitUntilBookable,
  type Stack,
  type TestSession,
} from '@booking/testkit';

type Who = 'anonymous' | 'guestA' | 'guestB' | 'host' | 'admin';
type Expectation = 'ok' | 'null' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'PAYMENT_DECLINED';

/**
 * The access matrix through the router: field rules (`@authenticated`, `@requiresScopes`)
 * enforced by the router, object rules (whose booking, whose invoice) by the subgraphs.
 */
describe('authorization through the router', () => {
  let stack: Stack;
  let sessions: Record<Exclude<Who, 'anonymous'>, TestSession>;
  let listingId: string;
  let bookingId: string;
  let invoiceId: string;

  async function run(who: Who, query: string, variables: Record<string, unknown> = {}) {
    return stack.query(query, variables, who === 'anonymous' ? undefined : sessions[who].accessToken);
  }

  beforeAll(async () => {
    stack = await startStack();
    sessions = {
      guestA: await registerThroughRouter(stack, 'a@matrix.example'),
      guestB: await registerThroughRouter(stack, 'b@matrix.example'),
      host: await registerThroughRouter(stack, 'host@matrix.example', 'HOST'),
      admin: await adminThroughRouter(stack),
    };
    const listing = await run('host', `mutation { createListing(input: { title: "Matrix loft", city: "Porto", capacity: 2,
      pricePerNight: { amount: 7000, currency: "EUR" } }) { id } }`);
    listingId = (listing.data as { createListing: { id: string } }).createListing.id;
    await waitUntilBookable(stack, listingId, sessions.guestA);
    const booking = await run('guestA', `mutation($l: ID!) { createBooking(input: { listingId: $l, startsAt: "2027-10-01T00:00:00Z",
      endsAt: "2027-10-03T00:00:00Z", idempotencyKey: "matrix" }) { id } }`, { l: listingId });
    bookingId = (booking.data as { createBooking: { id: string } }).createBooking.id;
    invoiceId = await invoiceOfBooking(stack, bookingId, sessions.guestA);
  });
  afterAll(() => stack?.stop());

  const cases: {
    name: string;
    query: () => [string, Record<string, unknown>];
    field: string;
    expect: Record<Who, Expectation>;
    /** Where the error lands when an enclosing field is removed first. */
    deniedAt?: string[];
  }[] = [
    {
      name: 'Query.users (admin scope)',
      query: () => ['{ users(first: 1) { edges { cursor } } }', {}],
      field: 'users',
      expect: { anonymous: 'UNAUTHENTICATED', guestA: 'FORBIDDEN', guestB: 'FORBIDDEN', host: 'FORBIDDEN', admin: 'ok' },
    },
    {
      name: 'Mutation.createUser (admin scope)',
      query: () => [
        'mutation($e: String!) { createUser(input: { email: $e, displayName: "X" }) { id } }',
        { e: `created-${Math.random()}@matrix.example` },
      ],
      field: 'createUser',
      expect: { anonymous: 'UNAUTHENTICATED', guestA: 'FORBIDDEN', guestB: 'FORBIDDEN', host: 'FORBIDDEN', admin: 'ok' },
    },
    {
      name: 'Mutation.createListing (listings:write)',
      query: () => ['mutation { createListing(input: { title: "T", city: "Faro", capacity: 1, pricePerNight: { amount: 1, currency: "EUR" } }) { id } }', {}],
      field: 'createListing',
      expect: { anonymous: 'UNAUTHENTICATED', guestA: 'FORBIDDEN', guestB: 'FORBIDDEN', host: 'ok', admin: 'ok' },
    },
    {
      name: 'Mutation.createBooking (bookings:write)',
      query: () => {
        const day = 10 + Math.floor(Math.random() * 1000);
        const startsAt = new Date(Date.UTC(2030, 0, day)).toISOString();
        const endsAt = new Date(Date.UTC(2030, 0, day + 1)).toISOString();
        return [
          'mutation($l: ID!, $s: DateTimeISO!, $e: DateTimeISO!, $k: String!) { createBooking(input: { listingId: $l, startsAt: $s, endsAt: $e, idempotencyKey: $k }) { id } }',
          { l: listingId, s: startsAt, e: endsAt, k: `${startsAt}-${Math.random()}` },
        ];
      },
      field: 'createBooking',
      expect: { anonymous: 'UNAUTHENTICATED', guestA: 'ok', guestB: 'ok', host: 'ok', admin: 'ok' },
    },
    {
      name: 'Mutation.issueInvoice (admin scope)',
      query: () => ['mutation($g: ID!) { issueInvoice(input: { bookingId: "0e7c5f8a-3333-4333-8333-00000000abcd", guestId: $g, amount: { amount: 1, currency: "EUR" } }) { id } }', { g: sessions.guestA.userId }],
      field: 'issueInvoice',
      expect: { anonymous: 'UNAUTHENTICATED', guestA: 'FORBIDDEN', guestB: 'FORBIDDEN', host: 'FORBIDDEN', admin: 'ok' },
    },
    {
      name: 'Query.booking of guest A (on the host’s listing)',
      query: () => ['query($id: ID!) { booking(id: $id) { id status } }', { id: bookingId }],
      field: 'booking',
      expect: { anonymous: 'UNAUTHENTICATED', guestA: 'ok', guestB: 'FORBIDDEN', host: 'ok', admin: 'ok' },
    },
    {
      name: 'Query.invoice of guest A (on the host’s listing)',
      query: () => ['query($id: ID!) { invoice(id: $id) { id amount { amount } } }', { id: invoiceId }],
      field: 'invoice',
      expect: { anonymous: 'UNAUTHENTICATED', guestA: 'ok', guestB: 'FORBIDDEN', host: 'ok', admin: 'ok' },
    },
    {
      name: 'User.email of guest A',
      query: () => ['query($id: ID!) { user(id: $id) { email } }', { id: sessions.guestA.userId }],
      field: 'user.email',
      expect: { anonymous: 'FORBIDDEN', guestA: 'ok', guestB: 'FORBIDDEN', host: 'FORBIDDEN', admin: 'ok' },
    },
    {
      name: 'User.bookings of guest A',
      query: () => ['query($id: ID!) { user(id: $id) { bookings { id } } }', { id: sessions.guestA.userId }],
      field: 'user.bookings',
      expect: { anonymous: 'UNAUTHENTICATED', guestA: 'ok', guestB: 'FORBIDDEN', host: 'FORBIDDEN', admin: 'ok' },
    },
    {
      name: 'Booking.invoice of guest A',
      query: () => ['query($id: ID!) { booking(id: $id) { invoice { id } } }', { id: bookingId }],
      field: 'booking.invoice',
      expect: { anonymous: 'UNAUTHENTICATED', guestA: 'ok', guestB: 'FORBIDDEN', host: 'ok', admin: 'ok' },
      deniedAt: ['booking'],
    },
  ];

  cases.push(
    {
      name: 'Mutation.completeBooking (admin scope)',
      query: () => ['mutation($id: ID!) { completeBooking(id: $id) { id } }', { id: '0e7c5f8a-3333-4333-8333-00000000dcba' }],
      field: 'completeBooking',
      // Allowed for admins, who then learn there is no such booking.
      expect: { anonymous: 'UNAUTHENTICATED', guestA: 'FORBIDDEN', guestB: 'FORBIDDEN', host: 'FORBIDDEN', admin: 'NOT_FOUND' },
    },
    {
      name: 'Mutation.updateListing of the host’s listing',
      query: () => ['mutation($id: ID!) { updateListing(id: $id, input: { description: "Updated" }) { id } }', { id: listingId }],
      field: 'updateListing',
      expect: { anonymous: 'UNAUTHENTICATED', guestA: 'FORBIDDEN', guestB: 'FORBIDDEN', host: 'ok', admin: 'ok' },
    },
    {
      name: 'Mutation.payInvoice of guest A’s invoice (declined test card, so it stays payable)',
      query: () => [
        'mutation($id: ID!) { payInvoice(input: { invoiceId: $id, idempotencyKey: "matrix", card: { number: "4000000000000002", expMonth: 12, expYear: 2035, cvc: "123" } }) { id } }',
        { id: invoiceId },
      ],
      field: 'payInvoice',
      expect: { anonymous: 'UNAUTHENTICATED', guestA: 'PAYMENT_DECLINED', guestB: 'FORBIDDEN', host: 'FORBIDDEN', admin: 'PAYMENT_DECLINED' },
    },
  );

  const everyone: Who[] = ['anonymous', 'guestA', 'guestB', 'host', 'admin'];
  it.each(cases.flatMap((c) => everyone.map((who) => [c.name, who, c] as const)))('%s as %s', async (_name, who, c) => {
    const [query, variables] = c.query();
    const response = await run(who, query, variables);
    const path = c.field.split('.');
    let value: unknown = response.data;
    for (const key of path) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    const expected = c.expect[who];
    if (expected === 'ok') {
      expect(response.errors).toBeUndefined();
      expect(value).toBeTruthy();
    } else if (expected === 'null') {
      expect(response.errors).toBeUndefined();
      expect(value ?? null).toBeNull();
    } else {
      expect(value ?? null).toBeNull();
      expect(response.errors?.[0]).toMatchObject({ path: c.deniedAt ?? path, extensions: { code: expected } });
    }
  });

  it('removes only the unauthorized field and serves the rest, also inside fragments', async () => {
    const query = `query($id: ID!) { listing(id: $id) { ...Card } }
      fragment Card on Listing { title bookings { id } host { displayName } }`;
    const asAnonymous = await run('anonymous', query, { id: listingId });
    expect(asAnonymous.data).toEqual({ listing: { title: 'Matrix loft', host: { displayName: 'host' } } });
    expect(asAnonymous.errors).toEqual([
      expect.objectContaining({
        path: ['listing', 'bookings'],
        extensions: { code: 'UNAUTHENTICATED' },
        message: 'Unauthenticated: Listing.bookings requires a signed-in user',
      }),
    ]);
    // Same operation text, other viewers: a plan cached for the trimmed operation must not leak.
    const asHost = await run('host', query, { id: listingId });
    expect(asHost.errors).toBeUndefined();
    expect((asHost.data as { listing: { bookings: { id: string }[] } }).listing.bookings.map((b) => b.id)).toContain(bookingId);
    const asGuestB = await run('guestB', query, { id: listingId });
    // Guest B sees only their own bookings of this listing, never guest A's.
    expect((asGuestB.data as { listing: { bookings: { id: string }[] } }).listing.bookings.map((b) => b.id)).not.toContain(bookingId);
    expect((await run('anonymous', query, { id: listingId })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('answers with errors only when nothing of the operation is allowed', async () => {
    const response = await run('anonymous', '{ users { edges { cursor } } bookings { edges { cursor } } }');
    expect(response.status).toBe(200);
    expect(response.data).toBeNull();
    expect(response.errors?.map((error) => error.path)).toEqual([['users'], ['bookings']]);
  });
});
