import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import type { Page } from 'puppeteer-core';
import {
  activeSigningKey,
  chromiumBinary,
  confinePage,
  createListingThroughRouter,
  launchChromium,
  registerThroughRouter,
  startStack,
  TEST_PASSWORD,
  waitFor,
  waitUntilBookable,
  withScreenshotOnFailure,
  type RegisteredSession,
  type RunningChromium,
  type Stack,
} from '@booking/testkit';
import { startPageServer, type PageServer } from './pageServer';

/**
 * Apollo Client in a real Chromium, on a page served from another origin than the router's (so
 * CORS and CSRF prevention apply for real): the example page (`clients/web`) signs in, runs the
 * README's queries, books, follows the booking live over multipart HTTP and over graphql-ws,
 * renders a `@defer` query part by part, and shows the router's refusal of an expired token.
 * The test reads only what the page shows. The browser may reach nothing but the two origins.
 */
const chromium = chromiumBinary();
const describeWithBrowser = chromium ? describe : describe.skip;

const STAY = { startsAt: '2034-05-01T15:00:00Z', endsAt: '2034-05-03T11:00:00Z' };

/** A token the router must refuse only for its age: signed by accounts' real key, expired a minute ago. */
async function expiredTokenFor(stack: Stack, userId: string): Promise<string> {
  const { kid, privateJwk } = await activeSigningKey(stack.subgraphs.accounts);
  return new SignJWT({ role: 'GUEST', scope: 'profile bookings:write invoices:pay' })
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
    .setSubject(userId)
    .setIssuer('booking-supergraph/accounts')
    .setAudience('booking-supergraph')
    .setIssuedAt(Math.floor(Date.now() / 1000) - 960)
    .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
    .sign(await importJWK(privateJwk, 'ES256'));
}

const textOf = (page: Page, selector: string): Promise<string> => page.$eval(selector, (element) => element.textContent ?? '');
const itemsOf = (page: Page, selector: string): Promise<string[]> => page.$$eval(`${selector} li`, (items) => items.map((item) => item.textContent ?? ''));

/** Waits until the element's text contains `text`. */
async function shows(page: Page, selector: string, text: string, timeout = 15_000): Promise<void> {
  await page.waitForFunction(`document.querySelector(${JSON.stringify(selector)})?.textContent?.includes(${JSON.stringify(text)})`, { timeout });
}

describeWithBrowser('Apollo Client in Chromium, from another origin (clients/web)', () => {
  let pages: PageServer;
  let stack: Stack;
  let browser: RunningChromium;
  let guest: RegisteredSession;
  let listingTitle: string;
  let listingId: string;
  let hostName: string;

  beforeAll(async () => {
    pages = await startPageServer();
    // The README's way: the page's origin, exactly, is the only one allowed.
    stack = await startStack({ routerEnv: { CORS_ORIGINS: pages.origin } });
    browser = await launchChromium(chromium as string);
    const host = await registerThroughRouter(stack, `host-${randomUUID()}@apollo.example`, 'HOST');
    hostName = host.email.split('@')[0]!;
    guest = await registerThroughRouter(stack, `guest-${randomUUID()}@apollo.example`);
    listingTitle = `Apollo loft ${randomUUID().slice(0, 8)}`;
    listingId = await createListingThroughRouter(stack, host, { title: listingTitle, city: 'Coimbra', capacity: 2, pricePerNight: { amount: 9000, currency: 'EUR' } });
    await waitUntilBookable(stack, listingId, guest);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await pages?.close();
  });

  it("allows the page's origin and no other (CORS_ORIGINS)", async () => {
    const preflight = (origin: string) =>
      fetch(stack.routerUrl, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    const allowed = await preflight(pages.origin);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(pages.origin);
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect((await preflight('http://localhost:3000')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('signs in, queries, books, follows the booking over multipart and WebSocket, renders @defer, and shows an expired token refused', async () => {
    const page = await browser.newPage();
    const routerOrigin = new URL(stack.routerUrl).origin;
    const accepted: string[] = [];
    const { outside, problems } = await confinePage(page, {
      allowed: (url) => url.origin === pages.origin || url.origin === routerOrigin,
      // The expired token's 401 is the one failure the page asks for.
      expected: (problem) => problem.startsWith(`HTTP 401 for ${stack.routerUrl}`) || problem.includes('status of 401 (Unauthorized)'),
      // What Apollo Client asked the router for, by operation: its Accept header says which protocol.
      onRequest: (request) => {
        const operation = /"operationName":"(\w+)"/.exec(request.postData() ?? '')?.[1];
        if (operation) accepted.push(`${operation}: ${request.headers().accept ?? ''}`);
      },
    });
    const expiredToken = await expiredTokenFor(stack, guest.userId);
    const query = new URLSearchParams({ router: stack.routerUrl, email: guest.email, password: TEST_PASSWORD, city: 'Coimbra', listing: listingId, ...STAY, expiredToken });
    const subscriptionsBefore = stack.router.subscriptions.openSubscriptions;
    try {
      await withScreenshotOnFailure(page, 'apollo-client-page', async () => {
        expect((await page.goto(`${pages.origin}/?${query}`, { waitUntil: 'load' }))?.status()).toBe(200);
        await page.waitForFunction(`document.querySelector('#state')?.textContent !== 'starting'`, { timeout: 30_000 });
        expect(await textOf(page, '#state')).toBe('ready');

        const guestName = guest.email.split('@')[0];
        expect(await textOf(page, '#signed-in')).toBe(`signed in as ${guestName}`);
        expect(await textOf(page, '#viewer')).toBe(`viewer: ${guest.email}`);
        expect(await itemsOf(page, '#listings')).toEqual([`${listingTitle}: 9000 EUR a night, host ${hostName}`]);
        const bookingId = await page.$eval('#booking', (element) => (element as unknown as { dataset: { id?: string } }).dataset.id ?? '');
        expect(bookingId).not.toBe('');
        const total = await totalOf(bookingId);
        expect(await textOf(page, '#booking')).toBe(`booking ${bookingId}: HELD, 2 nights, ${total.amount} ${total.currency}`);
        // billing issues the invoice from bookings' event, a moment after the booking: either is right.
        const [listed, ...others] = await itemsOf(page, '#bookings');
        expect(others).toEqual([]);
        expect([`HELD at ${listingTitle} (Coimbra), guest ${guestName}, invoice none yet`, `HELD at ${listingTitle} (Coimbra), guest ${guestName}, invoice OPEN ${total.amount}`]).toContain(listed);

        // @defer: Apollo Client rendered the booking before its listing, from two multipart parts.
        expect(await itemsOf(page, '#deferred')).toEqual(['HELD; listing still deferred', `HELD; listing: ${listingTitle}, host ${hostName}`]);
        expect(await textOf(page, '#deferred-parts')).toBe('received in 2 parts');

        // The router's own refusal, code included, read by Apollo Client from a 401 across origins.
        expect(await textOf(page, '#expired')).toBe('HTTP 401 UNAUTHENTICATED: Unauthenticated: the access token has expired');

        // Both subscriptions open on the router, then a change the page makes reaches both.
        await waitFor(() => stack.router.subscriptions.openSubscriptions >= subscriptionsBefore + 2, 15_000);
        await page.click('#cancel');
        await shows(page, '#cancelled', 'cancelled: CANCELLED');
        await shows(page, '#live-websocket', 'CANCELLED');
        // Over multipart it comes as promptly: the router ends each part with its delimiter, which
        // Apollo Client's parser waits for (before, the event waited for the next 5 s heartbeat).
        const multipartSince = Date.now();
        await shows(page, '#live-multipart', 'CANCELLED');
        const multipartLagMs = Date.now() - multipartSince;
        expect(await itemsOf(page, '#live-multipart')).toEqual([`CANCELLED (${listingTitle})`]);
        expect(await itemsOf(page, '#live-websocket')).toEqual([`CANCELLED (${listingTitle})`]);
        expect(multipartLagMs).toBeLessThan(3_000);

        // The deferred query and one of the two subscriptions went over multipart HTTP (the other over the socket).
        expect(accepted).toContain('BookingWithDeferredListing: multipart/mixed;deferSpec=20220824,application/json');
        expect(accepted.filter((line) => line.startsWith('BookingUpdated:'))).toEqual(['BookingUpdated: multipart/mixed;boundary=graphql;subscriptionSpec=1.0,application/json']);

        expect(outside).toEqual([]);
        expect(problems).toEqual([]);
      });
    } finally {
      await page.close();
    }
  });

  /** The booking's total as the router states it. */
  async function totalOf(bookingId: string): Promise<{ amount: number; currency: string }> {
    const answer = await stack.query<{ booking: { total: { amount: number; currency: string } } }>('query($id: ID!) { booking(id: $id) { total { amount currency } } }', { id: bookingId }, guest.accessToken);
    const total = answer.data?.booking.total;
    if (!total) throw new Error(`no total for ${bookingId}: ${JSON.stringify(answer.errors)}`);
    return total;
  }
});
