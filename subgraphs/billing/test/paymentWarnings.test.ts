import { randomUUID } from 'node:crypto';
import { routerCallSigner, type Viewer } from '@booking/runtime';
import {
  createTestDatabase,
  findFreePort,
  graphqlRequestBody,
  killServiceProcesses,
  LOG_LEVELS,
  postGraphQL,
  startServiceProcess,
  TEST_SIGNING_SECRET,
  testKeyPrefix,
  testRedisUrl,
  viewerWith,
  type GraphQLResponse,
  type ServiceProcess,
  type TestDatabase,
} from '@booking/testkit';

/**
 * billing as its own process, its stdout read as a log collector reads it: a failed payment
 * (declined card, provider down) is a warning for on-call, without card or caller details.
 */
const DECLINED_CARD = '4000000000000002';
const PROVIDER_DOWN_CARD = '4000000000000119';
const GUEST = viewerWith('GUEST');
const ADMIN = viewerWith('ADMIN');

let database: TestDatabase;
let billing: ServiceProcess;
let graphqlUrl: string;

function call<Data>(query: string, variables: Record<string, unknown>, viewer: Viewer): Promise<GraphQLResponse<Data>> {
  const body = graphqlRequestBody(query, variables);
  return postGraphQL<Data>(graphqlUrl, body, routerCallSigner(TEST_SIGNING_SECRET, viewer).request('billing', body));
}

async function openInvoice(): Promise<string> {
  const issued = await call<{ issueInvoice: { id: string } }>(
    'mutation($input: IssueInvoiceInput!) { issueInvoice(input: $input) { id } }',
    { input: { bookingId: randomUUID(), guestId: GUEST.userId, amount: { amount: 12_000, currency: 'EUR' } } },
    ADMIN,
  );
  if (!issued.data) throw new Error(JSON.stringify(issued.errors));
  return issued.data.issueInvoice.id;
}

function pay(invoiceId: string, number: string) {
  return call(
    'mutation($input: PayInvoiceInput!) { payInvoice(input: $input) { id status } }',
    { input: { invoiceId, idempotencyKey: randomUUID(), card: { number, expMonth: 12, expYear: 2040, cvc: '123' } } },
    GUEST,
  );
}

beforeAll(async () => {
  database = await createTestDatabase('billing');
  const port = await findFreePort();
  billing = startServiceProcess('billing', {
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    BILLING_DATABASE_URL: database.url,
    ROUTER_SIGNING_SECRET: TEST_SIGNING_SECRET,
    REDIS_URL: testRedisUrl(),
    EVENT_KEY_PREFIX: testKeyPrefix('billing-log'),
  });
  await billing.waitUntilReady(`http://127.0.0.1:${port}/ready`);
  graphqlUrl = `http://127.0.0.1:${port}/graphql`;
});
afterAll(async () => {
  await billing?.stop();
  killServiceProcesses();
  await database?.drop();
});

test('a declined card is a warning naming the invoice, the payment and the reason, never the card', async () => {
  const invoiceId = await openInvoice();
  const declined = await pay(invoiceId, DECLINED_CARD);
  expect(declined.errors?.[0]?.extensions).toMatchObject({ code: 'PAYMENT_DECLINED', reason: 'card_declined' });
  const warning = await billing.waitForLine((line) => line.level === LOG_LEVELS.warn && line.invoiceId === invoiceId);
  expect(warning).toMatchObject({ service: 'billing', code: 'PAYMENT_DECLINED', reason: 'card_declined', paymentId: expect.any(String) });
  expect(billing.output()).not.toContain(DECLINED_CARD);
});

test('a provider that does not answer is a warning too (nothing was charged)', async () => {
  const invoiceId = await openInvoice();
  const unavailable = await pay(invoiceId, PROVIDER_DOWN_CARD);
  expect(unavailable.errors?.[0]?.extensions?.code).toBe('PAYMENT_PROVIDER_UNAVAILABLE');
  const warning = await billing.waitForLine((line) => line.level === LOG_LEVELS.warn && line.invoiceId === invoiceId);
  expect(warning).toMatchObject({ code: 'PAYMENT_PROVIDER_UNAVAILABLE' });
  expect(billing.output()).not.toContain(PROVIDER_DOWN_CARD);
});
