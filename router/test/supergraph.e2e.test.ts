import { createServer, type Server } from 'node:net';
import { SUBGRAPH_NAMES, type SubgraphName } from '@booking/runtime';
import { createRouter, readRouterConfig } from '@booking/router';
import {
  adminThroughRouter,
  countSql,
  graphqlRequest,
  registerThroughRouter,
  startStack,
  TEST_SIGNING_SECRET,
  type Stack,
  type TestSession,
  eventually,
  invoiceOfBooking,
  waitUntilBookable,
} from '@booking/testkit';
import { randomUUID } from 'node:crypto';

/** End to end: the real router over the four real subgraphs, each on its own PostgreSQL database. */
describe('supergraph through the router', () => {
  let stack: Stack;
  let admin: TestSession;
  let host: TestSession;
  let guest: TestSession;

  beforeAll(async () => {
    stack = await startStack();
    admin = await adminThroughRouter(stack);
    host = await registerThroughRouter(stack, 'host@e2e.example', 'HOST');
    guest = await registerThroughRouter(stack, 'guest@e2e.example');
  });
  afterAll(() => stack?.stop());

  async function mutate<Data>(query: string, variables: Record<string, unknown>, session: TestSession): Promise<Data> {
    const response = await stack.query<Data>(query, variables, session.accessToken);
    if (response.errors || !response.data) throw new Error(JSON.stringify(response.errors));
    return response.data;
  }

  const createListing = (owner: TestSession, title: string, city = 'Lisbon') =>
    mutate<{ createListing: { id: string } }>(
      `mutation($input: CreateListingInput!) { createListing(input: $input) { id } }`,
      { input: { title, city, capacity: 2, pricePerNight: { amount: 9500, currency: 'EUR' } } },
      owner,
    ).then((data) => data.createListing.id);

  const createBooking = (booker: TestSession, listingId: string, startsAt: string, endsAt: string) =>
    mutate<{ createBooking: { id: string } }>(
      `mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }`,
      { input: { listingId, startsAt, endsAt, idempotencyKey: randomUUID() } },
      booker,
    ).then((data) => data.createBooking.id);


  it('answers one query that needs all four subgraphs, with exact data', async () => {
    const listingId = await createListing(host, 'Alfama loft');
    await waitUntilBookable(stack, listingId, guest);
    const bookingId = await createBooking(guest, listingId, '2027-02-01T15:00:00Z', '2027-02-04T11:00:00Z');
    // billing invoices the hold from the booking.held event.
    const invoiceId = await invoiceOfBooking(stack, bookingId, guest);

    const response = await stack.query(
      `query($id: ID!) {
        booking(id: $id) {
          id status startsAt endsAt
          listing { id title city pricePerNight { amount currency } host { displayName role } }
          guest { displayName email bookings { id } }
          invoice { id status amount { amount currency } booking { id } }
        }
      }`,
      { id: bookingId },
      guest.accessToken,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({
      booking: {
        id: bookingId,
        status: 'HELD',
        startsAt: '2027-02-01T15:00:00.000Z',
        endsAt: '2027-02-04T11:00:00.000Z',
        listing: {
          id: listingId,
          title: 'Alfama loft',
          city: 'Lisbon',
          pricePerNight: { amount: 9500, currency: 'EUR' },
          host: { displayName: 'host', role: 'HOST' },
        },
        guest: { displayName: 'guest', email: 'guest@e2e.example', bookings: [{ id: bookingId }] },
        invoice: { id: invoiceId, status: 'OPEN', amount: { amount: 28500, currency: 'EUR' }, booking: { id: bookingId } },
      },
    });
  });

  it('issues the same number of SQL statements for 50 bookings as for 5 (no N+1)', async () => {
    const guests = await Promise.all(Array.from({ length: 10 }, (_, index) => registerThroughRouter(stack, `n1-guest-${index}@e2e.example`)));
    const listingIds = await Promise.all(Array.from({ length: 50 }, (_, index) => createListing(host, `Listing ${index}`, 'Berlin')));
    for (const listingId of listingIds) await waitUntilBookable(stack, listingId, guest);
    await Promise.all(
      listingIds.map(async (listingId, index) => {
        const booker = guests[index % guests.length]!;
        await createBooking(booker, listingId, '2027-08-01T00:00:00Z', '2027-08-03T00:00:00Z');
      }),
    );
    // Measure once billing has invoiced every hold, so no event handling runs meanwhile.
    await eventually(
      () => stack.query<{ bookings: { edges: { node: { invoice: unknown } }[] } }>('{ bookings(first: 100) { edges { node { invoice { id } } } } }', {}, admin.accessToken),
      (data) => data.bookings.edges.length === 51 && data.bookings.edges.every((edge) => edge.node.invoice !== null),
    );

    const counters = Object.fromEntries(
      SUBGRAPH_NAMES.map((name) => [name, countSql(stack.subgraphs[name].server.database)]),
    ) as Record<SubgraphName, ReturnType<typeof countSql>>;
    const statementsFor = async (first: number) => {
      for (const counter of Object.values(counters)) counter.reset();
      const response = await stack.query<{ bookings: { edges: unknown[] } }>(
        `query($first: Int!) {
          bookings(first: $first) { edges { node { id listing { title } guest { displayName } invoice { status } } } }
        }`,
        { first },
        admin.accessToken,
      );
      expect(response.errors).toBeUndefined();
      expect(response.data?.bookings.edges).toHaveLength(first);
      return Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, counters[name].statements.length]));
    };
    const five = await statementsFor(5);
    const fifty = await statementsFor(50);
    for (const counter of Object.values(counters)) counter.detach();

    process.stdout.write(`SQL statements per subgraph: 5 bookings ${JSON.stringify(five)}, 50 bookings ${JSON.stringify(fifty)}\n`);
    expect(fifty).toEqual(five);
    expect(five).toEqual({ accounts: 1, catalog: 1, bookings: 1, billing: 1 });
  });

  it('turns bad input into coded GraphQL errors', async () => {
    const parse = await stack.query('{ bookings(first: ');
    expect(parse.status).toBe(400);
    expect(parse.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');

    const unknownField = await stack.query('{ bookings { edges { node { price } } } }', {}, admin.accessToken);
    expect(unknownField.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const wrongVariable = await stack.query(
      'query($first: Int!) { bookings(first: $first) { edges { cursor } } }',
      { first: 'ten' },
      admin.accessToken,
    );
    expect(wrongVariable.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    const badRange = await stack.query(
      `mutation { createBooking(input: { listingId: "0e7c5f8a-3333-4333-8333-000000000001",
        startsAt: "2027-01-02T00:00:00Z", endsAt: "2027-01-01T00:00:00Z", idempotencyKey: "k" }) { id } }`,
      {},
      guest.accessToken,
    );
    expect(badRange.errors?.[0]).toMatchObject({
      message: 'endsAt: must be after startsAt',
      extensions: { code: 'BAD_USER_INPUT', field: 'endsAt', serviceName: 'bookings' },
    });

    const unknown = await stack.query(
      `{ booking(id: "0e7c5f8a-3333-4333-8333-000000000009") { id } listing(id: "x") { id } }`,
      {},
      admin.accessToken,
    );
    expect(unknown).toMatchObject({ status: 200, data: { booking: null, listing: null } });
    expect(unknown.errors).toBeUndefined();

    const notJson = await fetch(stack.routerUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe('BAD_REQUEST');
  });

  it('serves partial data and an error naming a subgraph that does not answer in time', async () => {
    // Accepts connections and never answers: the worst kind of outage, a hang.
    const sockets = new Set<import('node:net').Socket>();
    const blackHole: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const port = (blackHole.address() as import('node:net').AddressInfo).port;
    const router = await createRouter(
      readRouterConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        SUBGRAPH_TIMEOUT_MS: '500',
        ROUTER_SIGNING_SECRET: TEST_SIGNING_SECRET,
        ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, stack.subgraphs[name].graphqlUrl])),
        ACCOUNTS_URL: `http://127.0.0.1:${port}/graphql`,
        JWKS_URL: `${stack.subgraphs.accounts.baseUrl}/.well-known/jwks.json`,
      }),
    );
    try {
      const url = `${await router.listen()}/graphql`;
      const started = Date.now();
      const response = await graphqlRequest<{ bookings: { edges: { node: { status: string; guest: null } }[] } }>(
        url,
        '{ bookings(first: 1) { edges { node { status guest { displayName } } } } }',
        {},
        { authorization: `Bearer ${guest.accessToken}` },
      );
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(response.data?.bookings.edges[0]?.node).toEqual({ status: 'HELD', guest: null });
      expect(response.errors?.[0]).toMatchObject({
        message: 'Subgraph "accounts" did not answer in time',
        extensions: { code: 'SUBGRAPH_TIMEOUT', serviceName: 'accounts' },
      });
    } finally {
      await router.close();
      for (const socket of sockets) socket.destroy();
      blackHole.close();
    }
  });

  // Runs last: it stops the catalog subgraph for good.
  it('serves partial data and an error naming a subgraph that is down', async () => {
    await stack.subgraphs.catalog.stop();
    const response = await stack.query<{ bookings: { edges: { node: { status: string; listing: null; guest: { displayName: string } } }[] } }>(
      '{ bookings(first: 1) { edges { node { status listing { title } guest { displayName } } } } }',
      {},
      guest.accessToken,
    );
    expect(response.status).toBe(200);
    expect(response.data?.bookings.edges[0]?.node).toEqual({ status: 'HELD', listing: null, guest: { displayName: 'guest' } });
    expect(response.errors?.[0]).toMatchObject({
      message: expect.stringContaining('Subgraph "catalog" is unavailable'),
      extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'catalog' },
    });
  });
});
