import { createHash, randomUUID } from 'node:crypto';
import type { Page } from 'puppeteer-core';
import {
  chromiumBinary,
  confinePage,
  launchChromium,
  registerThroughRouter,
  startStack,
  waitFor,
  waitUntilBookable,
  withScreenshotOnFailure,
  type RegisteredSession,
  type RunningChromium,
  type Stack,
} from '@booking/testkit';

/**
 * The IDE a browser gets at /graphql with LANDING_PAGE=graphiql, in a real Chromium that may
 * reach nothing but the router (every other host is refused and fails the test): it loads from
 * the router's own files, sends the Authorization header written in its header editor, shows a
 * query's answer and a subscription's event (graphql-ws). And LANDING_PAGE=off, the production
 * default, serves no page.
 */
const chromium = chromiumBinary();
const describeWithBrowser = chromium ? describe : describe.skip;

function directivesOf(policy: string | null): Map<string, string[]> {
  return new Map(
    (policy ?? '').split(';').map((directive) => {
      const [name = '', ...sources] = directive.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

const pageRequest = (url: string) => fetch(url, { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' }, signal: AbortSignal.timeout(10_000) });

/** The text of a CodeMirror 5 editor of GraphiQL's (each editor element carries its instance). */
function editorValue(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (element) => (element as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
}

/** Types into a GraphiQL editor as its own API does (the editor's change events run, GraphiQL's state follows). */
async function setEditor(page: Page, selector: string, text: string): Promise<void> {
  await page.$eval(selector, (element, value) => (element as unknown as { CodeMirror: { setValue(text: string): void } }).CodeMirror.setValue(value), text);
}

/** Waits until GraphiQL's results pane shows `text`. */
async function resultShows(page: Page, text: string): Promise<void> {
  await page.waitForFunction(`document.querySelector(${JSON.stringify(RESULT)})?.textContent?.includes(${JSON.stringify(text)})`, { timeout: 10_000 });
}

/**
 * Writes an operation into the query editor and waits until GraphiQL has read it: it parses the
 * text 100 ms after a change (debounced) and keeps the name and document on the editor, which is
 * what it then runs.
 */
async function writeOperation(page: Page, text: string, name: string): Promise<void> {
  await setEditor(page, QUERY_EDITOR, text);
  await page.waitForFunction(`document.querySelector(${JSON.stringify(QUERY_EDITOR)}).CodeMirror.operationName === ${JSON.stringify(name)}`, { timeout: 5_000 });
}

const QUERY_EDITOR = '.graphiql-query-editor .CodeMirror';
const RESULT = '.graphiql-response .CodeMirror';
const HEADERS_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';

describeWithBrowser('the GraphiQL landing page (LANDING_PAGE=graphiql)', () => {
  let stack: Stack;
  let browser: RunningChromium;
  let guest: RegisteredSession;
  let listingId: string;

  beforeAll(async () => {
    stack = await startStack({ routerEnv: { LANDING_PAGE: 'graphiql' } });
    browser = await launchChromium(chromium as string);
    const host = await registerThroughRouter(stack, `host-${randomUUID()}@ide.example`, 'HOST');
    guest = await registerThroughRouter(stack, `guest-${randomUUID()}@ide.example`);
    const listing = await stack.query<{ createListing: { id: string } }>(
      `mutation { createListing(input: { title: "IDE loft", city: "Porto", capacity: 2, pricePerNight: { amount: 8000, currency: "EUR" } }) { id } }`,
      {},
      host.accessToken,
    );
    listingId = listing.data!.createListing.id;
    await waitUntilBookable(stack, listingId, guest);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("is one page of the router's own files, each pinned by its integrity hash, under a CSP that allows nothing else", async () => {
    const page = await pageRequest(stack.routerUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const directives = directivesOf(page.headers.get('content-security-policy'));
    const nonce = /^'nonce-([A-Za-z0-9+/]{22}==)'$/;
    expect(Object.fromEntries(directives)).toEqual({
      'default-src': ["'none'"],
      'script-src': ["'self'"],
      'style-src': ["'self'", expect.stringMatching(nonce)],
      'font-src': ['data:'],
      'img-src': ["'self'", 'data:'],
      'manifest-src': ["'none'"],
      'frame-src': ["'none'"],
      'connect-src': ["'self'"],
      'base-uri': ["'none'"],
      'form-action': ["'none'"],
      'frame-ancestors': ["'none'"],
    });
    // A nonce per response, only for styles, and the one the page hands to GraphiQL.
    const html = await page.text();
    const styleNonce = nonce.exec(directives.get('style-src')?.[1] ?? '')?.[1];
    expect(html).toContain(`<meta name="style-nonce" nonce="${styleNonce}">`);
    const again = directivesOf((await pageRequest(stack.routerUrl)).headers.get('content-security-policy'));
    expect(again.get('style-src')?.[1]).not.toBe(directives.get('style-src')?.[1]);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const assets = [...html.matchAll(/<(?:script src|link rel="stylesheet" href)="([^"]+)" integrity="([^"]+)"/g)].map(([, path = '', integrity = '']) => ({ path, integrity }));
    expect(assets.map(({ path }) => path.replace(/^\/ide\/[0-9a-f]{16}\//, ''))).toEqual(['graphiql.min.css', 'ide.css', 'react.production.min.js', 'react-dom.production.min.js', 'graphql-ws.min.js', 'graphiql.min.js', 'ide.js']);
    expect(html).not.toMatch(/<script>|<style|\bstyle=|https?:\/\//);
    const origin = new URL(stack.routerUrl).origin;
    for (const { path, integrity } of assets) {
      const asset = await fetch(`${origin}${path}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const body = Buffer.from(await asset.arrayBuffer());
      expect(`sha384-${createHash('sha384').update(body).digest('base64')}`).toBe(integrity);
    }
    // Only those paths: nothing else under /ide/ maps to a file.
    const [first] = assets;
    for (const path of [first!.path.replace(/[^/]+$/, 'package.json'), '/ide/', `${first!.path}/../../../package.json`]) {
      expect((await fetch(`${origin}${path}`)).status).toBe(404);
    }
  });

  it('runs a query and a subscription with the Authorization header written in it, offline', async () => {
    const page = await browser.newPage();
    // data: URLs (GraphiQL's fonts) are inside the page; everything else must be this machine.
    const { outside, problems } = await confinePage(page, { allowed: (url) => url.protocol === 'data:' || url.hostname === '127.0.0.1' });
    // Browser code as text: the test's TypeScript has no DOM types.
    await page.evaluateOnNewDocument(
      "document.addEventListener('securitypolicyviolation', (event) => console.error('CSP refused ' + event.blockedURI + ' (' + event.violatedDirective + ')'))",
    );
    try {
      await withScreenshotOnFailure(page, 'ide-query-and-subscription', async () => {
        const response = await page.goto(stack.routerUrl, { waitUntil: 'load' });
        expect(response?.status()).toBe(200);
        await page.waitForSelector(QUERY_EDITOR, { timeout: 10_000 });

        // A dialog makes GraphiQL add a <style> (scroll lock): allowed by the page's nonce.
        await page.click('button[aria-label="Open short keys dialog"]');
        await page.waitForSelector('.graphiql-dialog');
        await page.keyboard.press('Escape');
        await page.waitForSelector('.graphiql-dialog', { hidden: true });

        await page.locator('button ::-p-text(Headers)').click();
        await page.waitForSelector(HEADERS_EDITOR);
        await setEditor(page, HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${guest.accessToken}` }));

        await writeOperation(page, 'query Me { viewer { email } }', 'Me');
        await page.click('.graphiql-execute-button');
        await resultShows(page, guest.email);
        expect(JSON.parse(await editorValue(page, RESULT))).toEqual({ data: { viewer: { email: guest.email } } });

        // myBookings needs a signed-in user: an event proves the socket carried the header too.
        await writeOperation(page, 'subscription Mine { myBookings { id status } }', 'Mine');
        const before = stack.router.subscriptions.openSubscriptions;
        await page.click('.graphiql-execute-button');
        await waitFor(() => stack.router.subscriptions.openSubscriptions > before, 10_000);
        const booked = await stack.query<{ createBooking: { id: string } }>(
          `mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }`,
          { input: { listingId, startsAt: '2034-02-01T15:00:00Z', endsAt: '2034-02-03T11:00:00Z', idempotencyKey: randomUUID() } },
          guest.accessToken,
        );
        expect(booked.errors).toBeUndefined();
        const bookingId = booked.data!.createBooking.id;
        await resultShows(page, bookingId);
        expect(JSON.parse(await editorValue(page, RESULT))).toEqual({ data: { myBookings: { id: bookingId, status: 'HELD' } } });
        // Stopping it ends the subscription on the router.
        await page.click('.graphiql-execute-button');
        await waitFor(() => stack.router.subscriptions.openSubscriptions === before, 10_000);

        expect(outside).toEqual([]);
        expect(problems).toEqual([]);
      });
    } finally {
      await page.close();
    }
  });
});

describe('no landing page', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ routerEnv: { LANDING_PAGE: 'off' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const expectNoPage = async (url: string) => {
    for (const target of [url, `${url}?query=${encodeURIComponent('{ __typename }')}`]) {
      const answer = await pageRequest(target);
      expect(answer.status).toBe(404);
      expect(answer.headers.get('content-security-policy')).toBeNull();
      expect(await answer.json()).toEqual({ errors: [{ message: expect.stringContaining('LANDING_PAGE=off'), extensions: { code: 'NOT_FOUND' } }] });
    }
  };

  it('LANDING_PAGE=off: a browser gets 404 NOT_FOUND, with or without a query, and GraphQL still works', async () => {
    await expectNoPage(stack.routerUrl);
    expect((await stack.query('{ __typename }')).data).toEqual({ __typename: 'Query' });
    // Naming HTML is not asking for a page: preferring JSON, it is an operation, run through the stages.
    const mixed = await fetch(`${stack.routerUrl}?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept: 'application/json, text/html', 'apollo-require-preflight': 'true' } });
    expect([mixed.status, await mixed.json()]).toEqual([200, { data: { __typename: 'Query' } }]);
  });

  it('LANDING_PAGE=sandbox: a GET that names HTML but prefers JSON is an operation, and every operation stage applies to it', async () => {
    const sandboxUrl = (await stack.startRouter({ LANDING_PAGE: 'sandbox', MAX_OPERATION_DEPTH: '3' })).url;
    const deep = `{ listing(id: "x") { host { listings { host { id } } } } }`;
    const asked = (accept: string) =>
      fetch(`${sandboxUrl}?query=${encodeURIComponent(deep)}`, { headers: { accept, 'apollo-require-preflight': 'true' }, signal: AbortSignal.timeout(30_000) });
    // Apollo Server would execute this one (it prefers JSON): the depth limit must see it first.
    const mixed = await asked('application/json, text/html');
    expect(mixed.status).toBe(400);
    expect(((await mixed.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe('MAX_DEPTH_LIMIT');
    // A browser's own Accept prefers HTML: Sandbox's page, nothing executed.
    const page = await asked('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('embeddable-sandbox.cdn.apollographql.com');
  });

  it('is the default of the production profile; LANDING_PAGE=sandbox still gives Apollo Sandbox there', async () => {
    await expectNoPage((await stack.startRouter({ NODE_ENV: 'production', LANDING_PAGE: '' })).url);
    const sandbox = await pageRequest((await stack.startRouter({ NODE_ENV: 'production', LANDING_PAGE: 'sandbox' })).url);
    expect(sandbox.status).toBe(200);
    expect(await sandbox.text()).toContain('embeddable-sandbox.cdn.apollographql.com');
  });
});
