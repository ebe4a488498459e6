import { randomUUID } from 'node:crypto';
import { PasswordHasher, Role, ROLE_SCOPES } from '@booking/accounts';
import type { Viewer } from '@booking/runtime';
import type { GraphQLResponse } from './graphqlClient';
import type { Stack } from './stack';

export type RoleName = keyof typeof Role;

/** A viewer as the router would forward it, for calling a subgraph directly. */
export function viewerWith(role: RoleName, userId: string = randomUUID()): Viewer {
  return { userId, role, scopes: [...ROLE_SCOPES[Role[role]]] };
}

export interface TestSession {
  readonly userId: string;
  readonly accessToken: string;
}

/** The password of every account the test kit registers. */
export const TEST_PASSWORD = 'correct horse battery staple';
const PASSWORD = TEST_PASSWORD;

/** A signed-up user's whole login: what a frontend keeps after `register`. */
export interface RegisteredSession extends TestSession {
  readonly email: string;
  readonly refreshToken: string;
}

/** A listing a host creates through the router; its id (throws with the errors when refused). */
export async function createListingThroughRouter(
  stack: Stack,
  host: TestSession,
  listing: { readonly title: string; readonly city: string; readonly capacity: number; readonly pricePerNight: { readonly amount: number; readonly currency: string } },
): Promise<string> {
  const created = await stack.query<{ createListing: { id: string } }>('mutation($input: CreateListingInput!) { createListing(input: $input) { id } }', { input: listing }, host.accessToken);
  if (!created.data) throw new Error(`createListing failed: ${JSON.stringify(created.errors)}`);
  return created.data.createListing.id;
}

/** Signs up through the router, as a frontend would. */
export async function registerThroughRouter(stack: Stack, email: string, role: 'GUEST' | 'HOST' = 'GUEST'): Promise<RegisteredSession> {
  const response = await stack.query<{ register: { accessToken: string; refreshToken: string; user: { id: string } } }>(
    `mutation($input: RegisterInput!) { register(input: $input) { accessToken refreshToken user { id } } }`,
    { input: { email, password: PASSWORD, displayName: email.split('@')[0], role } },
  );
  if (!response.data) throw new Error(`register failed: ${JSON.stringify(response.errors)}`);
  const { accessToken, refreshToken, user } = response.data.register;
  return { userId: user.id, email, accessToken, refreshToken };
}

/**
 * Asks until the answer is HTTP 401 or the deadline passes, and says how long it took: a
 * revocation (logout, account deletion) reaches routers by Redis pub/sub, a moment after the
 * mutation answered.
 */
export async function untilRefused(
  read: () => Promise<GraphQLResponse>,
  timeoutMs: number,
): Promise<{ readonly answer: GraphQLResponse; readonly afterMs: number }> {
  const started = Date.now();
  for (;;) {
    const answer = await read();
    if (answer.status === 401 || Date.now() - started > timeoutMs) return { answer, afterMs: Date.now() - started };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Admins are appointed, not registered: one is written to accounts' database, then signs in. */
export async function adminThroughRouter(stack: Stack, email = `admin-${randomUUID()}@example.com`): Promise<TestSession> {
  const id = randomUUID();
  await stack.subgraphs.accounts.server.database.em
    .fork()
    .getConnection()
    .execute('insert into users (id, email, display_name, role, password_hash) values (?, ?, ?, ?, ?)', [
      id,
      email,
      'Admin',
      'ADMIN',
      await new PasswordHasher().hash(PASSWORD),
    ]);
  const response = await stack.query<{ login: { accessToken: string } }>(
    `mutation($input: LoginInput!) { login(input: $input) { accessToken } }`,
    { input: { email, password: PASSWORD } },
  );
  if (!response.data) throw new Error(`admin login failed: ${JSON.stringify(response.errors)}`);
  return { userId: id, accessToken: response.data.login.accessToken };
}

/**
 * bookings learns of a new listing from catalog's event (outbox → Redis → consumer), so a
 * listing becomes bookable a moment after createListing returns; this waits for that moment.
 */
export async function waitUntilBookable(stack: Stack, listingId: string, session: TestSession, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await stack.query(
      `query($l: ID!) { quote(listingId: $l, startsAt: "2030-01-01T00:00:00Z", endsAt: "2030-01-02T00:00:00Z") { nights } }`,
      { l: listingId },
      session.accessToken,
    );
    if (response.data) return;
    if (Date.now() > deadline) throw new Error(`listing ${listingId} never became bookable: ${JSON.stringify(response.errors)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls a GraphQL query until `accept` holds (for effects that travel by events). */
export async function eventually<Data>(
  read: () => Promise<{ data?: Data | null }>,
  accept: (data: Data) => boolean,
  timeoutMs = 15_000,
): Promise<Data> {
  const deadline = Date.now() + timeoutMs;
  let last: { data?: Data | null } | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (last.data && accept(last.data)) return last.data;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`not reached within ${timeoutMs} ms; last answer ${JSON.stringify(last)}`);
}

/** Waits with a deadline (never a bare sleep) for a condition on local state. */
export async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** billing invoices a hold from the booking.held event; this waits for that invoice's id. */
export async function invoiceOfBooking(stack: Stack, bookingId: string, session: TestSession): Promise<string> {
  const data = await eventually(
    () =>
      stack.query<{ booking: { invoice: { id: string } | null } }>(
        'query($id: ID!) { booking(id: $id) { invoice { id } } }',
        { id: bookingId },
        session.accessToken,
      ),
    (answer) => answer.booking.invoice !== null,
  );
  return data.booking.invoice!.id;
}
