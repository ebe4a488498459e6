/**
 * Issue 9 item 14 (second half): after an account is deleted (by an admin, or by its owner)
 * every access token of that user is refused at once by every router, on HTTP and on
 * subscriptions, so a deleted identity can write nothing (no HELD booking for a deleted guest);
 * it cannot sign in or refresh, and other users are untouched.
 */
import { randomUUID } from 'node:crypto';
import {
  adminThroughRouter,
  connectSubscriptions,
  graphqlRequest,
  openMultipartSubscription,
  registerThroughRouter,
  startStack,
  TEST_PASSWORD as PASSWORD,
  untilRefused,
  waitUntilBookable,
  type GraphQLResponse,
  type Stack,
  type TestSession,
} from '@booking/testkit';

const VIEWER = '{ viewer { id } }';

describe('access tokens of a deleted user (real routers, accounts, bookings, PostgreSQL, Redis)', () => {
  let stack: Stack;
  let admin: TestSession;
  let host: TestSession;
  let listingId: string;

  const signUp = (role: 'GUEST' | 'HOST' = 'GUEST') => registerThroughRouter(stack, `gone-${randomUUID()}@example.com`, role);

  const ask = <Data = { viewer: { id: string } | null }>(
    url: string,
    token: string,
    query = VIEWER,
    variables: Record<string, unknown> = {},
  ): Promise<GraphQLResponse<Data>> => graphqlRequest<Data>(url, query, variables, { authorization: `Bearer ${token}` });

  const refusedWithin = async (read: () => Promise<GraphQLResponse>, timeoutMs: number) => (await untilRefused(read, timeoutMs)).answer;

  const expectDeleted = (answer: GraphQLResponse) => {
    expect(answer.status).toBe(401);
    expect(answer.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(answer.errors?.[0]?.message).toContain('account no longer exists');
  };

  const CREATE_BOOKING = `mutation($l: ID!, $k: String!) { createBooking(input: { listingId: $l, startsAt: "2031-03-01T00:00:00Z",
    endsAt: "2031-03-03T00:00:00Z", idempotencyKey: $k }) { id } }`;

  async function bookingRowsOf(guestId: string): Promise<number> {
    const rows: { count: string }[] = await stack.subgraphs.bookings.server.database.em
      .fork()
      .getConnection()
      .execute('select count(*) as count from bookings where guest_id = ?', [guestId]);
    return Number(rows[0]?.count);
  }

  async function openSocket(token: string) {
    const socket = connectSubscriptions(stack.routerUrl, { authorization: `Bearer ${token}` });
    const watching = socket.subscribe('subscription { myBookings { id } }');
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('the subscription socket did not open')), 10_000);
      socket.client.on('connected', () => {
        clearTimeout(deadline);
        resolve();
      });
    });
    return { socket, watching };
  }

  beforeAll(async () => {
    stack = await startStack();
    admin = await adminThroughRouter(stack);
    const hostPerson = await signUp('HOST');
    host = hostPerson;
    const listing = await ask<{ createListing: { id: string } }>(
      stack.routerUrl,
      host.accessToken,
      'mutation { createListing(input: { title: "Gone loft", city: "Porto", capacity: 2, pricePerNight: { amount: 7000, currency: "EUR" } }) { id } }',
    );
    if (!listing.data) throw new Error(JSON.stringify(listing.errors));
    listingId = listing.data.createListing.id;
    await waitUntilBookable(stack, listingId, host);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('deleteUser (admin): the token is refused on every router at once, writes no booking, ends its subscription; sign-in fails; others keep working', async () => {
    const routerB = (await stack.startRouter()).url;
    const guest = await signUp();
    const other = await signUp();
    expect((await ask(stack.routerUrl, guest.accessToken)).data?.viewer?.id).toBe(guest.userId);
    expect((await ask(routerB, guest.accessToken)).data?.viewer?.id).toBe(guest.userId);
    const { socket, watching } = await openSocket(guest.accessToken);
    const stream = await openMultipartSubscription(routerB, 'subscription { myBookings { id } }', guest.accessToken);
    expect(stream.statusCode).toBe(200);

    // Not an admin: refused, and nothing changes.
    const byGuest = await ask<{ deleteUser: { id: string } }>(stack.routerUrl, other.accessToken, 'mutation($id: ID!) { deleteUser(id: $id) { id } }', {
      id: guest.userId,
    });
    expect(byGuest.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const deleted = await ask<{ deleteUser: { id: string; displayName: string; deletedAt: string | null } }>(
      stack.routerUrl,
      admin.accessToken,
      'mutation($id: ID!) { deleteUser(id: $id) { id displayName deletedAt } }',
      { id: guest.userId },
    );
    expect(deleted.errors).toBeUndefined();
    expect(deleted.data?.deleteUser).toMatchObject({ id: guest.userId, displayName: 'Deleted user' });
    expect(deleted.data?.deleteUser.deletedAt).not.toBeNull();

    expectDeleted(await refusedWithin(() => ask(stack.routerUrl, guest.accessToken), 5_000));
    expectDeleted(await refusedWithin(() => ask(routerB, guest.accessToken), 5_000));
    // The repro: a HELD booking for a deleted guest. Refused, and no row is written.
    const booking = await ask(stack.routerUrl, guest.accessToken, CREATE_BOOKING, { l: listingId, k: randomUUID() });
    expectDeleted(booking);
    expect(await bookingRowsOf(guest.userId)).toBe(0);
    expect((await socket.closed).code).toBe(4403);
    await watching.ended;
    await socket.dispose();
    // The multipart stream on the other router ends with UNAUTHENTICATED.
    let text = '';
    for await (const chunk of stream) text += String(chunk);
    expect(text).toContain('"extensions":{"code":"UNAUTHENTICATED"}');

    const login = await stack.query('mutation($input: LoginInput!) { login(input: $input) { accessToken } }', {
      input: { email: guest.email, password: PASSWORD },
    });
    expect(login.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const refresh = await stack.query('mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }', { t: guest.refreshToken });
    expect(refresh.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(refresh.errors?.[0]?.message).toContain('deleted');

    // Another user's token, on both routers, keeps working, writes included.
    expect((await ask(stack.routerUrl, other.accessToken)).data?.viewer?.id).toBe(other.userId);
    expect((await ask(routerB, other.accessToken)).data?.viewer?.id).toBe(other.userId);
    const othersBooking = await ask<{ createBooking: { id: string } }>(stack.routerUrl, other.accessToken, CREATE_BOOKING, {
      l: listingId,
      k: randomUUID(),
    });
    expect(othersBooking.errors).toBeUndefined();

    // The id stays answerable (bookings and invoices refer to it), anonymised.
    const tombstone = await ask<{ user: { displayName: string; deletedAt: string | null } | null }>(
      stack.routerUrl,
      admin.accessToken,
      'query($id: ID!) { user(id: $id) { displayName deletedAt } }',
      { id: guest.userId },
    );
    expect(tombstone.data?.user).toMatchObject({ displayName: 'Deleted user' });
  });

  it('deleteAccount (own, password asked again): the token stops on every router and a new router loads the revocation', async () => {
    const guest = await signUp();
    const wrong = await ask(stack.routerUrl, guest.accessToken, 'mutation { deleteAccount(password: "not the password") { id } }');
    expect(wrong.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await ask(stack.routerUrl, guest.accessToken)).data?.viewer?.id).toBe(guest.userId);

    const own = await ask<{ deleteAccount: { id: string } }>(stack.routerUrl, guest.accessToken, 'mutation($p: String!) { deleteAccount(password: $p) { id } }', {
      p: PASSWORD,
    });
    expect(own.data?.deleteAccount.id).toBe(guest.userId);
    expectDeleted(await refusedWithin(() => ask(stack.routerUrl, guest.accessToken), 5_000));
    const routerC = (await stack.startRouter()).url;
    expectDeleted(await ask(routerC, guest.accessToken));
    // The e-mail is freed: the person may sign up again, as a new account.
    const again = await stack.query<{ register: { user: { id: string } } }>(
      'mutation($input: RegisterInput!) { register(input: $input) { user { id } } }',
      { input: { email: guest.email, password: PASSWORD, displayName: 'Back', role: 'GUEST' } },
    );
    expect(again.data?.register.user.id).not.toBe(guest.userId);
  });
});
