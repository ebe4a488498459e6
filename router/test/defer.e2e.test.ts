import { createHash, randomUUID } from 'node:crypto';
import { ApolloClient, gql, HttpLink, InMemoryCache } from '@apollo/client/core';
import { connectSubscriptions, countingForward, registerThroughRouter, startStack, waitUntilBookable, type CountingForward, type Stack, type TestSession } from '@booking/testkit';

/**
 * @defer on the router's own executor, read by a real Apollo Client 3 over multipart/mixed
 * (deferSpec=20220824): the merged result equals the same query without @defer, and the
 * parts on the wire are what Apollo Server and Apollo Router send.
 */
describe('@defer with incremental delivery', () => {
  let stack: Stack;
  let host: TestSession;
  let guest: TestSession;
  let bookingId: string;

  beforeAll(async () => {
    stack = await startStack();
    host = await registerThroughRouter(stack, 'defer-host@e2e.example', 'HOST');
    guest = await registerThroughRouter(stack, 'defer-guest@e2e.example');
    const listingIds: string[] = [];
    for (const title of ['Defer loft', 'Defer cabin']) {
      const created = await stack.query<{ createListing: { id: string } }>(
        'mutation($input: CreateListingInput!) { createListing(input: $input) { id } }',
        { input: { title, city: 'Porto', capacity: 3, pricePerNight: { amount: 12000, currency: 'EUR' } } },
        host.accessToken,
      );
      listingIds.push(created.data?.createListing.id as string);
    }
    await waitUntilBookable(stack, listingIds[0] as string, guest);
    const booked = await stack.query<{ createBooking: { id: string } }>(
      'mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }',
      { input: { listingId: listingIds[0], startsAt: '2034-05-01T15:00:00Z', endsAt: '2034-05-03T11:00:00Z', idempotencyKey: randomUUID() } },
      guest.accessToken,
    );
    bookingId = booked.data?.createBooking.id as string;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  function clientFor(url: string, token?: string) {
    return new ApolloClient({
      link: new HttpLink({ uri: url, fetch, headers: token ? { authorization: `Bearer ${token}` } : {} }),
      cache: new InMemoryCache(),
      defaultOptions: { watchQuery: { fetchPolicy: 'no-cache' }, query: { fetchPolicy: 'no-cache' } },
    });
  }

  /** Every result Apollo Client emits for a query, until it emits `final` (or 10 s pass). */
  async function emissions(url: string, query: string, variables: Record<string, unknown>, token: string | undefined, final: unknown) {
    const client = clientFor(url, token);
    const seen: { data: unknown; errors?: readonly unknown[] }[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no final result; saw ${JSON.stringify(seen)}`)), 10_000);
        const subscription = client.watchQuery({ query: gql(query), variables, errorPolicy: 'all' }).subscribe({
          next: (result) => {
            seen.push({ data: result.data, ...(result.errors ? { errors: result.errors } : {}) });
            // Apollo Client adds __typename where the query has none.
            const withoutTypename = (key: string, value: unknown) => (key === '__typename' ? undefined : value);
            if (JSON.stringify(result.data, withoutTypename) === JSON.stringify(final, withoutTypename)) {
              clearTimeout(timer);
              subscription.unsubscribe();
              resolve();
            }
          },
          error: (error: unknown) => {
            clearTimeout(timer);
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        });
      });
    } finally {
      client.stop();
    }
    return seen;
  }

  /** The same query without @defer, over plain JSON: what the deferred one must add up to. */
  async function whole(query: string, variables: Record<string, unknown> = {}, token?: string) {
    const withoutDefer = query.replace(/@defer(\([^)]*\))?/g, '');
    const answer = await fetch(stack.routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query: withoutDefer, variables }),
    });
    return (await answer.json()) as { data: unknown; errors?: unknown[] };
  }

  it('a booking with its listing deferred: first without the listing, then merged', async () => {
    const query = `query Booking($id: ID!) { booking(id: $id) { __typename id status ... @defer { listing { __typename id title host { __typename displayName } } } } }`;
    const expected = await whole(query, { id: bookingId }, guest.accessToken);
    expect(expected.errors).toBeUndefined();
    const seen = await emissions(stack.routerUrl, query, { id: bookingId }, guest.accessToken, expected.data);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen[0]?.data).toEqual({ booking: { __typename: 'Booking', id: bookingId, status: expect.any(String) } });
    expect(seen[seen.length - 1]?.data).toEqual(expected.data);
  });

  it('a list of listings with a labelled deferred field per item, and one nested inside it', async () => {
    const query = `{ listings(first: 10) { __typename edges { __typename node { __typename id title ... @defer(label: "host") { host { __typename displayName } ... @defer(label: "when") { createdAt } } } } } }`;
    const expected = await whole(query);
    expect(expected.errors).toBeUndefined();
    const seen = await emissions(stack.routerUrl, query, {}, undefined, expected.data);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    const firstEdges = (seen[0]?.data as { listings: { edges: { node: Record<string, unknown> }[] } }).listings.edges;
    expect(firstEdges.length).toBeGreaterThanOrEqual(2);
    for (const edge of firstEdges) expect(Object.keys(edge.node)).toEqual(['__typename', 'id', 'title']);
    expect(seen[seen.length - 1]?.data).toEqual(expected.data);
  });

  it('a deferred root field: its entry is at the root path', async () => {
    const query = `{ listings(first: 1) { edges { node { id } } } ... @defer(label: "more") { others: listings(first: 2) { edges { node { id title } } } } }`;
    const expected = await whole(query);
    expect(expected.errors).toBeUndefined();
    const seen = await emissions(stack.routerUrl, query, {}, undefined, expected.data);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(Object.keys(seen[0]?.data as object)).toEqual(['listings']);
  });

  it('sends the parts Apollo Client reads: boundary, content types, incremental entries per item with label and path', async () => {
    const query = `{ listings(first: 2) { edges { node { id ... @defer(label: "title") { title } } } } }`;
    const answer = await fetch(stack.routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824,application/json' },
      body: JSON.stringify({ query }),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('multipart/mixed; boundary="-"; deferSpec=20220824');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const body = await answer.text();
    expect(body.startsWith('\r\n---\r\ncontent-type: application/json; charset=utf-8\r\n\r\n')).toBe(true);
    expect(body.endsWith('\r\n-----\r\n')).toBe(true);
    const parts = body
      .split('\r\n---')
      .map((part) => part.slice(part.indexOf('\r\n\r\n') + 4))
      .filter((part) => part.startsWith('{'))
      .map((part) => JSON.parse(part) as Record<string, unknown>);
    const titles = (await whole(query)).data as { listings: { edges: { node: { id: string; title: string } }[] } };
    const edges = titles.listings.edges;
    expect(parts).toEqual([
      { data: { listings: { edges: edges.map((edge) => ({ node: { id: edge.node.id } })) } }, hasNext: true },
      {
        incremental: edges.map((edge, index) => ({ data: { title: edge.node.title }, path: ['listings', 'edges', index, 'node'], label: 'title' })),
        hasNext: false,
      },
    ]);
  });

  it('defers over GET and through an automatic persisted query, as over POST', async () => {
    const query = `{ listings(first: 2) { edges { node { id ... @defer(label: "title") { title } } } } }`;
    const accept = 'multipart/mixed;deferSpec=20220824,application/json';
    const posted = await partsOf(await fetch(stack.routerUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify({ query }) }));
    expect(posted).toHaveLength(2);
    const viaGet = await fetch(`${stack.routerUrl}?${new URLSearchParams({ query })}`, { headers: { accept, 'apollo-require-preflight': 'true' } });
    expect(viaGet.headers.get('content-type')).toBe('multipart/mixed; boundary="-"; deferSpec=20220824');
    expect(await partsOf(viaGet)).toEqual(posted);
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    const registered = await fetch(stack.routerUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify({ query, extensions }) });
    expect(await partsOf(registered)).toEqual(posted);
    const byHash = await fetch(stack.routerUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify({ extensions }) });
    expect(await partsOf(byHash)).toEqual(posted);
  });

  it('@defer(if: false) answers in one part, as the query without @defer', async () => {
    const query = `query Off($defer: Boolean!) { listings(first: 2) { edges { node { id ... @defer(if: $defer) { title } } } } }`;
    const answer = await fetch(stack.routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824,application/json' },
      body: JSON.stringify({ query, variables: { defer: false } }),
    });
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    const expected = await whole('{ listings(first: 2) { edges { node { id title } } } }');
    expect(await answer.json()).toEqual(expected);
    const seen = await emissions(stack.routerUrl, query, { defer: true }, undefined, expected.data);
    expect(seen.length).toBeGreaterThanOrEqual(2);
  });

  it('without a multipart Accept header: HTTP 406 DEFER_BAD_HEADER, as Apollo Router answers', async () => {
    const answer = await fetch(stack.routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: '{ listings(first: 1) { edges { node { id ... @defer { title } } } } }' }),
    });
    expect(answer.status).toBe(406);
    expect(await answer.json()).toEqual({ errors: [{ message: expect.stringContaining('multipart/mixed;deferSpec=20220824'), extensions: { code: 'DEFER_BAD_HEADER' } }] });
  });

  /** The JSON parts of a multipart body. */
  async function partsOf(answer: Response): Promise<Record<string, unknown>[]> {
    return (await answer.text())
      .split('\r\n---')
      .map((part) => part.slice(part.indexOf('\r\n\r\n') + 4))
      .filter((part) => part.startsWith('{'))
      .map((part) => JSON.parse(part) as Record<string, unknown>);
  }

  it('the protection stages judge the whole operation, deferred fragments included', async () => {
    const { url } = await stack.startRouter({ MAX_OPERATION_DEPTH: '3' });
    const answer = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824,application/json' },
      body: JSON.stringify({ query: '{ listings(first: 1) { edges { node { id ... @defer { host { displayName } } } } } }' }),
    });
    const body = (await answer.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(body.errors?.[0]?.extensions?.code).toBe('MAX_DEPTH_LIMIT');
  });

  it('a mutation with @defer: the mutation runs once, its deferred fields follow', async () => {
    const query = `mutation($input: CreateListingInput!) { createListing(input: $input) { id ... @defer(label: "more") { title host { displayName } } } }`;
    const answer = await fetch(stack.routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824', authorization: `Bearer ${host.accessToken}` },
      body: JSON.stringify({ query, variables: { input: { title: 'Deferred barn', city: 'Braga', capacity: 2, pricePerNight: { amount: 9000, currency: 'EUR' } } } }),
    });
    const parts = await partsOf(answer);
    expect(parts).toEqual([
      { data: { createListing: { id: expect.any(String) } }, hasNext: true },
      { incremental: [{ data: { title: 'Deferred barn', host: { displayName: expect.any(String) } }, path: ['createListing'], label: 'more' }], hasNext: false },
    ]);
  });

  it('a subscription with @defer is refused with DEFER_IN_SUBSCRIPTION', async () => {
    const connection = connectSubscriptions(stack.routerUrl, { authorization: `Bearer ${guest.accessToken}` });
    try {
      const subscription = connection.subscribe<unknown>(`subscription($id: ID!) { bookingUpdated(id: $id) { id ... @defer { status } } }`, { id: bookingId });
      // graphql-ws's `error` message: the operation never started.
      expect(await subscription.ended).toEqual({ error: [{ message: expect.stringContaining('@defer is not supported in subscriptions'), extensions: { code: 'DEFER_IN_SUBSCRIPTION' } }] });
      expect(subscription.results).toEqual([]);
    } finally {
      await connection.dispose();
    }
  });

  it('sends the first part without waiting for a slow deferred subgraph', async () => {
    const slow = await countingForward(stack.subgraphs.accounts.graphqlUrl, () => ({ delayMs: 1_500 }));
    try {
      const { url } = await stack.startRouter({ ACCOUNTS_URL: slow.url });
      const started = Date.now();
      const answer = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824' },
        body: JSON.stringify({ query: '{ listings(first: 1) { edges { node { title ... @defer { host { displayName } } } } } }' }),
      });
      const reader = (answer.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let received = '';
      let firstPartAfter = -1;
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        received += decoder.decode(chunk.value, { stream: true });
        if (firstPartAfter < 0 && received.includes('"hasNext":true')) firstPartAfter = Date.now() - started;
      }
      const total = Date.now() - started;
      expect(firstPartAfter).toBeGreaterThanOrEqual(0);
      expect(firstPartAfter).toBeLessThan(1_000);
      expect(total).toBeGreaterThanOrEqual(1_500);
      expect(received).toContain('"displayName"');
    } finally {
      await slow.close();
    }
  });

  describe('a deferred fetch that fails', () => {
    let failing: CountingForward;
    let url: string;
    beforeAll(async () => {
      failing = await countingForward(stack.subgraphs.accounts.graphqlUrl, () => ({ status: 500 }));
      url = (await stack.startRouter({ ACCOUNTS_URL: failing.url, SUBGRAPH_BREAKER: 'false', SUBGRAPH_RETRIES: '0' })).url;
    });
    afterAll(async () => {
      await failing.close();
    });

    it('gives the incremental entry errors at its path; the first part is whole', async () => {
      const query = `{ listings(first: 1) { edges { node { id title ... @defer(label: "host") { host { displayName } } } } } }`;
      const answer = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824' },
        body: JSON.stringify({ query }),
      });
      const parts = (await partsOf(answer)) as { data?: unknown; incremental?: { data: unknown; path: unknown[]; label?: string; errors?: { extensions: Record<string, unknown> }[] }[]; hasNext: boolean }[];
      expect(parts[0]).toEqual({ data: { listings: { edges: [{ node: { id: expect.any(String), title: expect.any(String) } }] } }, hasNext: true });
      const entry = parts[1]?.incremental?.[0];
      expect(entry).toMatchObject({ path: ['listings', 'edges', 0, 'node'], label: 'host', data: { host: null } });
      expect(entry?.errors?.length).toBeGreaterThan(0);
      expect(entry?.errors?.[0]?.extensions).toMatchObject({ serviceName: 'accounts' });
      expect(parts[1]?.hasNext).toBe(false);
      expect(failing.calls()).toBeGreaterThan(0);
    });
  });
});
