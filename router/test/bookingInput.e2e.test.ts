import { randomUUID } from 'node:crypto';
import { adminThroughRouter, graphqlRequest, registerThroughRouter, startStack, waitUntilBookable, type GraphQLResponse, type Stack, type TestSession } from '@booking/testkit';

const DAY_MS = 24 * 60 * 60 * 1000;
const CREATE = 'mutation($input: CreateBookingInput!) { createBooking(input: $input) { id status } }';

/**
 * What a client may send as a booking: stays in the past, and values a custom scalar cannot
 * read, are refused with BAD_USER_INPUT by both executors (ours and ROUTER_EXECUTOR=gateway).
 */
describe('booking input through the router', () => {
  let stack: Stack;
  let urls: { readonly executor: string; readonly url: string }[];
  let guest: TestSession;
  let host: TestSession;
  let admin: TestSession;
  let listingId: string;

  beforeAll(async () => {
    stack = await startStack();
    urls = [
      { executor: 'router', url: stack.routerUrl },
      { executor: 'gateway', url: (await stack.startRouter({ ROUTER_EXECUTOR: 'gateway' })).url },
    ];
    host = await registerThroughRouter(stack, 'input-host@e2e.example', 'HOST');
    admin = await adminThroughRouter(stack);
    guest = await registerThroughRouter(stack, 'input-guest@e2e.example');
    const created = await stack.query<{ createListing: { id: string } }>(
      'mutation($input: CreateListingInput!) { createListing(input: $input) { id } }',
      { input: { title: 'Input loft', city: 'Porto', capacity: 3, pricePerNight: { amount: 12000, currency: 'EUR' } } },
      host.accessToken,
    );
    listingId = created.data?.createListing.id as string;
    await waitUntilBookable(stack, listingId, guest);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const asGuest = (url: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse> =>
    graphqlRequest(url, query, variables, { authorization: `Bearer ${guest.accessToken}` });

  const codesAndFields = (response: GraphQLResponse) => response.errors?.map((error) => [error.extensions?.code, error.extensions?.field]);

  describe('stays in the past', () => {
    const todayUtc = () => new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
    // The rule turns on the UTC day: never let a case straddle midnight between test and server.
    beforeEach(async () => {
      const untilMidnight = DAY_MS - (Date.now() % DAY_MS);
      if (untilMidnight < 10_000) await new Promise((resolve) => setTimeout(resolve, untilMidnight + 10_000));
      else if (Date.now() % DAY_MS < 10_000) await new Promise((resolve) => setTimeout(resolve, 10_000));
    }, 30_000);

    it.each([
      ['a stay in 2020', () => '2020-03-01T15:00:00Z', () => '2020-03-04T11:00:00Z', 'startsAt'],
      ['a stay that began yesterday (UTC) and ends tomorrow', () => new Date(todayUtc().getTime() - DAY_MS / 2).toISOString(), () => new Date(Date.now() + DAY_MS).toISOString(), 'startsAt'],
      ['a stay today that is already over', () => todayUtc().toISOString(), () => new Date(Math.max(todayUtc().getTime() + 1000, Date.now() - 1000)).toISOString(), 'endsAt'],
    ])('refuses %s with BAD_USER_INPUT, holding nothing and invoicing nothing', async (_name, startsAt, endsAt, field) => {
      for (const { executor, url } of urls) {
        const refused = await asGuest(url, CREATE, { input: { listingId, startsAt: startsAt(), endsAt: endsAt(), idempotencyKey: randomUUID() } });
        expect({ executor, data: refused.data ?? null, errors: codesAndFields(refused) }).toEqual({ executor, data: null, errors: [['BAD_USER_INPUT', field]] });
        expect(refused.errors?.[0]?.message).toMatch(new RegExp(`^${field}: is in the past`));
      }
      // Nothing was held: the guest has no booking at all.
      const mine = await stack.query<{ bookings: { edges: unknown[] } }>('{ bookings(first: 10) { edges { node { id } } } }', {}, guest.accessToken);
      expect(mine.data?.bookings.edges).toEqual([]);
    });

    it('refuses a quote for a past stay the same way', async () => {
      for (const { executor, url } of urls) {
        const refused = await asGuest(url, `query($l: ID!) { quote(listingId: $l, startsAt: "2020-03-01T15:00:00Z", endsAt: "2020-03-04T11:00:00Z") { nights } }`, { l: listingId });
        expect({ executor, errors: codesAndFields(refused) }).toEqual({ executor, errors: [['BAD_USER_INPUT', 'startsAt']] });
      }
    });

    it('accepts a stay that starts earlier today (a late arrival) and ends in the future', async () => {
      const startsAt = todayUtc().toISOString();
      const endsAt = new Date(todayUtc().getTime() + 2 * DAY_MS).toISOString();
      const held = await asGuest(stack.routerUrl, CREATE, { input: { listingId, startsAt, endsAt, idempotencyKey: randomUUID() } });
      expect(held.errors).toBeUndefined();
      expect(held.data).toMatchObject({ createBooking: { status: 'HELD' } });
    });
  });

  describe('values a custom scalar cannot read', () => {
    /** Each way a date reaches the router, with the words the error must contain. */
    const cases: { name: string; query: () => string; variables?: () => Record<string, unknown>; mentions: RegExp[] }[] = [
      {
        name: 'a variable of an input object (createBooking)',
        query: () => CREATE,
        variables: () => ({ input: { listingId, startsAt: 'not-a-date', endsAt: '2033-05-03T11:00:00Z', idempotencyKey: randomUUID() } }),
        mentions: [/Variable "\$input" got invalid value "not-a-date" at "input\.startsAt"/, /DateTimeISO/],
      },
      {
        name: 'a variable of the scalar itself (createBooking)',
        query: () => `mutation($s: DateTimeISO!) { createBooking(input: { listingId: "${listingId}", startsAt: $s, endsAt: "2033-05-03T11:00:00Z", idempotencyKey: "scalar-variable" }) { id } }`,
        variables: () => ({ s: '2033-02-30T15:00:00Z' }),
        mentions: [/Variable "\$s" got invalid value "2033-02-30T15:00:00Z"/, /DateTimeISO/],
      },
      {
        name: 'an inline literal (createBooking)',
        query: () => `mutation { createBooking(input: { listingId: "${listingId}", startsAt: "nope", endsAt: "2033-05-03T11:00:00Z", idempotencyKey: "scalar-literal" }) { id } }`,
        mentions: [/Expected value of type "DateTimeISO!", found "nope"/],
      },
      {
        name: 'an inline literal of another type (quote)',
        query: () => `{ quote(listingId: "${listingId}", startsAt: 20330501, endsAt: "2033-05-03T11:00:00Z") { nights } }`,
        mentions: [/Expected value of type "DateTimeISO!", found 20330501/],
      },
      {
        name: 'a nullable variable of another subgraph (catalog searchListings)',
        query: () => 'query($s: DateTimeISO) { searchListings(city: "Porto", startsAt: $s, endsAt: "2033-05-03T11:00:00Z") { edges { node { id } } } }',
        variables: () => ({ s: '01/05/2033' }),
        mentions: [/Variable "\$s" got invalid value "01\/05\/2033"/],
      },
      {
        name: 'an inline literal of another subgraph (catalog searchListings)',
        query: () => '{ searchListings(city: "Porto", startsAt: "2033-05-01", endsAt: "2033-05-03T11:00:00Z") { edges { node { id } } } }',
        mentions: [/Expected value of type "DateTimeISO", found "2033-05-01"/],
      },
    ];

    it.each(cases.map((entry) => [entry.name, entry] as const))('refuses %s with BAD_USER_INPUT before any subgraph is called', async (_name, entry) => {
      for (const { executor, url } of urls) {
        const refused = await asGuest(url, entry.query(), entry.variables?.());
        const errors = refused.errors ?? [];
        expect({ executor, status: refused.status, data: refused.data, codes: errors.map((error) => error.extensions?.code) }).toEqual({
          executor,
          status: 400,
          data: undefined,
          codes: ['BAD_USER_INPUT'],
        });
        // The router refused it: no subgraph answered (a subgraph's error would name itself).
        expect(errors[0]?.extensions?.serviceName).toBeUndefined();
        for (const mention of entry.mentions) expect(errors[0]?.message).toMatch(mention);
        expect(errors[0]?.message).toMatch(/DateTimeISO takes a value such as "2027-03-01T15:00:00Z"/);
        expect(errors[0]?.extensions?.scalar).toBe('DateTimeISO');
      }
    });

    it('passes a valid value on exactly as the client wrote it', async () => {
      const startsAt = '2033-07-01T17:00:00+02:00';
      for (const { url } of urls) {
        const quoted = await asGuest(url, `query($s: DateTimeISO!) { quote(listingId: "${listingId}", startsAt: $s, endsAt: "2033-07-03T11:00:00Z") { nights } }`, { s: startsAt });
        expect(quoted.errors).toBeUndefined();
        expect(quoted.data).toEqual({ quote: { nights: 2 } });
      }
    });
  });

  describe('ids that are not UUIDs', () => {
    // An ID is any string to GraphQL; one that is not a UUID names nothing, as an unknown one.
    const cases = [
      ['cancelBooking', () => guest, 'mutation { cancelBooking(id: "nope") { id } }', 'NOT_FOUND'],
      ['completeBooking', () => admin, 'mutation { completeBooking(id: "nope") { id } }', 'NOT_FOUND'],
      ['quote', () => guest, '{ quote(listingId: "nope", startsAt: "2033-05-01T15:00:00Z", endsAt: "2033-05-03T11:00:00Z") { nights } }', 'LISTING_UNAVAILABLE'],
      ['publishListing', () => host, 'mutation { publishListing(id: "nope") { id } }', 'BAD_USER_INPUT'],
      ['deleteUser', () => admin, 'mutation { deleteUser(id: "nope") { id } }', 'NOT_FOUND'],
    ] as const;

    it.each(cases)('%s answers as for an unknown id, not INTERNAL_SERVER_ERROR', async (_name, session, query, code) => {
      for (const { executor, url } of urls) {
        const answer = await graphqlRequest(url, query, {}, { authorization: `Bearer ${session().accessToken}` });
        expect({ executor, codes: answer.errors?.map((error) => error.extensions?.code) }).toEqual({ executor, codes: [code] });
      }
    });
  });
});
