import { createServer, type Server } from 'node:net';
import { SUBGRAPH_NAMES, type SubgraphName } from '@booking/runtime';
import { createRouter, readRouterConfig } from '@booking/router';
import { countSql, graphqlRequest, startStack, TEST_SIGNING_SECRET, type Stack } from '@booking/testkit';

/** End to end: the real router over the four real subgraphs, each on its own PostgreSQL database. */
describe('supergraph through the router', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  async function mutate<Data>(query: string, variables: Record<string, unknown>): Promise<Data> {
    const response = await stack.query<Data>(query, variables);
    if (response.errors || !response.data) throw new Error(JSON.stringify(response.errors));
    return response.data;
  }

  const createUser = (email: string, displayName: string, role: string) =>
    mutate<{ createUser: { id: string } }>(
      `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`,
      { input: { email, displayName, role } },
    ).then((data) => data.createUser.id);

  const createListing = (hostId: string, title: string, city = 'Lisbon') =>
    mutate<{ createListing: { id: string } }>(
      `mutation($input: CreateListingInput!) { createListing(input: $input) { id } }`,
      { input: { title, city, capacity: 2, pricePerNight: { amount: 9500, currency: 'EUR' }, hostId } },
    ).then((data) => data.createListing.id);

  const createBooking = (listingId: string, guestId: string, startsAt: string, endsAt: string) =>
    mutate<{ createBooking: { id: string } }>(
      `mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }`,
      { input: { listingId, guestId, startsAt, endsAt } },
    ).then((data) => data.createBooking.id);

  const issueInvoice = (bookingId: string, amount: number) =>
    mutate<{ issueInvoice: { id: string } }>(
      `mutation($input: IssueInvoiceInput!) { issueInvoice(input: $input) { id } }`,
      { input: { bookingId, amount: { amount, currency: 'EUR' } } },
    ).then((data) => data.issueInvoice.id);

  it('answers one query that needs all four subgraphs, with exact data', async () => {
    const hostId = await createUser('host@e2e.example', 'Hana Host', 'HOST');
    const guestId = await createUser('guest@e2e.example', 'Gus Guest', 'GUEST');
    const listingId = await createListing(hostId, 'Alfama loft');
    const bookingId = await createBooking(listingId, guestId, '2027-02-01T15:00:00Z', '2027-02-04T11:00:00Z');
    const invoiceId = await issueInvoice(bookingId, 28500);

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
          host: { displayName: 'Hana Host', role: 'HOST' },
        },
        guest: { displayName: 'Gus Guest', email: 'guest@e2e.example', bookings: [{ id: bookingId }] },
        invoice: { id: invoiceId, status: 'OPEN', amount: { amount: 28500, currency: 'EUR' }, booking: { id: bookingId } },
      },
    });
  });

  it('issues the same number of SQL statements for 50 bookings as for 5 (no N+1)', async () => {
    const guestIds = await Promise.all(
      Array.from({ length: 10 }, (_, index) => createUser(`n1-guest-${index}@e2e.example`, `Guest ${index}`, 'GUEST')),
    );
    const hostId = await createUser('n1-host@e2e.example', 'N1 Host', 'HOST');
    const listingIds = await Promise.all(Array.from({ length: 50 }, (_, index) => createListing(hostId, `Listing ${index}`, 'Berlin')));
    await Promise.all(
      listingIds.map(async (listingId, index) => {
        const bookingId = await createBooking(listingId, guestIds[index % guestIds.length]!, '2027-08-01T00:00:00Z', '2027-08-03T00:00:00Z');
        await issueInvoice(bookingId, 19000);
      }),
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

    const unknownField = await stack.query('{ bookings { edges { node { price } } } }');
    expect(unknownField.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const wrongVariable = await stack.query('query($first: Int!) { bookings(first: $first) { edges { cursor } } }', { first: 'ten' });
    expect(wrongVariable.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    const badRange = await stack.query(
      `mutation { createBooking(input: { listingId: "0e7c5f8a-3333-4333-8333-000000000001", guestId: "0e7c5f8a-3333-4333-8333-000000000002",
        startsAt: "2027-01-02T00:00:00Z", endsAt: "2027-01-01T00:00:00Z" }) { id } }`,
    );
    expect(badRange.errors?.[0]).toMatchObject({
      message: 'endsAt: must be after startsAt',
      extensions: { code: 'BAD_USER_INPUT', field: 'endsAt', serviceName: 'bookings' },
    });

    const unknown = await stack.query(`{ booking(id: "0e7c5f8a-3333-4333-8333-000000000009") { id } listing(id: "x") { id } }`);
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
      }),
    );
    try {
      const url = `${await router.listen()}/graphql`;
      const started = Date.now();
      const response = await graphqlRequest<{ bookings: { edges: { node: { status: string; guest: null } }[] } }>(
        url,
        '{ bookings(first: 1) { edges { node { status guest { displayName } } } } }',
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
    );
    expect(response.status).toBe(200);
    expect(response.data?.bookings.edges[0]?.node).toEqual({ status: 'HELD', listing: null, guest: { displayName: 'Gus Guest' } });
    expect(response.errors?.[0]).toMatchObject({
      message: expect.stringContaining('Subgraph "catalog" is unavailable'),
      extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'catalog' },
    });
  });
});
