import { randomUUID } from 'node:crypto';
import { demoId } from '@booking/runtime';
import { eventually, graphqlRequest, invoiceOfBooking, registerThroughRouter, startStack, type GraphQLResponse, type Stack, type TestSession } from '@booking/testkit';

const DEMO_PASSWORD = 'demo-password';
const HOST_BOOKINGS = '{ bookings(first: 20) { edges { node { id invoice { id status } } } } }';
const LISTING_BOOKINGS = `{ listings(first: 20) { edges { node { id bookingsConnection(first: 20) { edges { node { id invoice { id } } } } } } } }`;

/**
 * The host of a booked listing sees its invoice (README: "a host also the bookings and invoices
 * of their listings"), on every path and both executors; anyone refused an invoice is told so
 * with FORBIDDEN at its path, never a bare null.
 */
describe('invoices of a host’s listings', () => {
  let stack: Stack;
  let urls: { readonly executor: string; readonly url: string }[];

  const login = async (name: string): Promise<string> => {
    const answer = await stack.query<{ login: { accessToken: string } }>('mutation($input: LoginInput!) { login(input: $input) { accessToken } }', {
      input: { email: `${name}@example.com`, password: DEMO_PASSWORD },
    });
    if (!answer.data) throw new Error(`login failed: ${JSON.stringify(answer.errors)}`);
    return answer.data.login.accessToken;
  };
  const onBoth = (query: string, token: string, variables: Record<string, unknown> = {}) =>
    Promise.all(urls.map(async ({ executor, url }) => ({ executor, answer: await graphqlRequest(url, query, variables, { authorization: `Bearer ${token}` }) })));
  /** As a database written before invoices carried their host would hold them. */
  const forgetInvoiceHosts = (where = 'true', parameters: unknown[] = []) =>
    stack.subgraphs.billing.server.database.em.fork().getConnection().execute(`update invoices set host_id = null, listing_id = null where ${where}`, parameters);

  beforeAll(async () => {
    stack = await startStack({ seedDemo: true });
    urls = [
      { executor: 'router', url: stack.routerUrl },
      { executor: 'gateway', url: (await stack.startRouter({ ROUTER_EXECUTOR: 'gateway' })).url },
    ];
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('shows the demo host the invoices of the bookings on her listings, with no error', async () => {
    const hana = await login('hana');
    const expected = ['alice-alfama', 'chen-machiya'].map((booking) => ({ node: { id: demoId('booking', booking), invoice: { id: demoId('invoice', booking), status: 'PAID' } } }));
    for (const { executor, answer } of await onBoth(HOST_BOOKINGS, hana)) {
      expect({ executor, errors: answer.errors, edges: (answer.data as { bookings: { edges: unknown[] } }).bookings.edges }).toEqual({ executor, errors: undefined, edges: expected });
    }
    for (const { executor, answer } of await onBoth(LISTING_BOOKINGS, hana)) {
      expect({ executor, errors: answer.errors }).toEqual({ executor, errors: undefined });
      const invoices = (answer.data as { listings: { edges: { node: { bookingsConnection: { edges: { node: { invoice: { id: string } | null } }[] } } }[] } }).listings.edges.flatMap(
        (listing) => listing.node.bookingsConnection.edges.map((booking) => booking.node.invoice?.id),
      );
      expect({ executor, invoices: invoices.sort() }).toEqual({ executor, invoices: [demoId('invoice', 'alice-alfama'), demoId('invoice', 'chen-machiya')].sort() });
    }
  });

  it('gives a demo invoice seeded without its host the host at the next start', async () => {
    await forgetInvoiceHosts();
    await stack.subgraphs.billing.restart();
    const hana = await login('hana');
    const answer = await stack.query<{ bookings: { edges: { node: { invoice: { id: string } | null } }[] } }>(HOST_BOOKINGS, {}, hana);
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.bookings.edges.map((edge) => edge.node.invoice?.id)).toEqual([demoId('invoice', 'alice-alfama'), demoId('invoice', 'chen-machiya')]);
  });

  describe('an invoice billing holds no host for (written before it carried one)', () => {
    let guest: TestSession;
    let omar: string;
    let bookingId: string;
    let invoiceId: string;

    beforeAll(async () => {
      guest = await registerThroughRouter(stack, 'visibility-guest@e2e.example');
      omar = await login('omar');
      const held = await stack.query<{ createBooking: { id: string } }>(
        'mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }',
        { input: { listingId: demoId('listing', 'kreuzberg-flat'), startsAt: '2034-02-01T15:00:00Z', endsAt: '2034-02-03T11:00:00Z', idempotencyKey: randomUUID() } },
        guest.accessToken,
      );
      bookingId = held.data?.createBooking.id as string;
      invoiceId = await invoiceOfBooking(stack, bookingId, guest);
      await forgetInvoiceHosts('id = ?', [invoiceId]);
    });

    it('is refused to the host with FORBIDDEN at its path, not a silent null', async () => {
      for (const { executor, answer } of await onBoth('query($id: ID!) { booking(id: $id) { id invoice { id } } }', omar, { id: bookingId })) {
        expect({ executor, data: answer.data, errors: answer.errors?.map((error) => [error.path, error.extensions?.code]) }).toEqual({
          executor,
          data: { booking: { id: bookingId, invoice: null } },
          errors: [[['booking', 'invoice'], 'FORBIDDEN']],
        });
      }
    });

    it('is shown to the host once the booking’s next status event names the host', async () => {
      const cancelled = await stack.query('mutation($id: ID!) { cancelBooking(id: $id) { status } }', { id: bookingId }, omar);
      expect(cancelled.errors).toBeUndefined();
      const seen = await eventually(
        () => stack.query<{ booking: { invoice: { id: string; status: string } | null } }>('query($id: ID!) { booking(id: $id) { invoice { id status } } }', { id: bookingId }, omar),
        (data) => data.booking.invoice?.status === 'VOID',
      );
      expect(seen.booking.invoice?.id).toBe(invoiceId);
    });
  });

  it('refuses another host the invoice with FORBIDDEN at its path', async () => {
    const omar = await login('omar');
    const id = demoId('invoice', 'alice-alfama');
    for (const { executor, answer } of await onBoth('query($id: ID!) { invoice(id: $id) { id } }', omar, { id })) {
      expect({ executor, data: answer.data, codes: (answer as GraphQLResponse).errors?.map((error) => [error.path, error.extensions?.code]) }).toEqual({
        executor,
        data: { invoice: null },
        codes: [[['invoice'], 'FORBIDDEN']],
      });
    }
  });
});
