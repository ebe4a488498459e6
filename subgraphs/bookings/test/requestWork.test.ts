import { routerCallSigner } from '@booking/runtime';
import { insertBookingRows, startSubgraph, TEST_SIGNING_SECRET, viewerWith, waitFor, type RunningSubgraph } from '@booking/testkit';
import { Client } from 'pg';

const GUEST = '0e7c5f8a-2222-4222-8222-00000000e001';
const guest = viewerWith('GUEST', GUEST);

/** The repro as the router sends it to bookings: one fetch, nested `depth` times. */
function nestedBookings(depth: number): string {
  let selection = 'id';
  for (let level = 0; level < depth; level += 1) selection = `guest { bookings { ${selection} } }`;
  return `{ bookings(first: 100) { edges { node { ${selection} } } } }`;
}

describe('bookings bounds the work of one request', () => {
  describe('with a small budget', () => {
    let bookings: RunningSubgraph;
    beforeAll(async () => {
      bookings = await startSubgraph('bookings', { config: { maxResolvedFields: 1_000 } });
      await insertBookingRows(bookings, { guestId: GUEST, count: 3 });
    });
    afterAll(() => bookings?.dispose());

    it('stops at SUBGRAPH_WORK_LIMIT with one error and what it resolved before', async () => {
      const response = await bookings.query<{ bookings: { edges: unknown[] } }>(nestedBookings(12), {}, guest);
      expect(response.status).toBe(200);
      expect(response.data?.bookings.edges).toHaveLength(3);
      expect(response.errors).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'SUBGRAPH_WORK_LIMIT', limit: 1_000, stoppedFields: expect.any(Number) }) }),
      ]);
      expect(response.errors?.[0]?.message).toContain('SUBGRAPH_MAX_RESOLVED_FIELDS');
    });

    it('answers a query within the budget in full', async () => {
      const response = await bookings.query(nestedBookings(2), {}, guest);
      expect(response.errors).toBeUndefined();
    });
  });

  describe('when the caller goes away', () => {
    let bookings: RunningSubgraph;
    beforeAll(async () => {
      // A budget no test reaches, so only the disconnect can stop the bomb.
      bookings = await startSubgraph('bookings', { config: { maxResolvedFields: 1_000_000_000 } });
      await insertBookingRows(bookings, { guestId: GUEST, count: 3 });
    });
    afterAll(() => bookings?.dispose());

    it('stops resolving fields as soon as the connection closes, and answers the next request', async () => {
      const work = bookings.server.work;
      const caller = new AbortController();
      const body = JSON.stringify({ query: nestedBookings(20) });
      const call = fetch(bookings.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...routerCallSigner(TEST_SIGNING_SECRET, guest).request('bookings', body) },
        body,
        signal: caller.signal,
      }).catch((error: unknown) => error);
      await waitFor(() => work.fieldsResolved > 20_000, 30_000);
      caller.abort();
      await call;
      await waitFor(() => work.requestsAborted === 1, 10_000);
      const atAbort = work.fieldsResolved;
      // 3^20 fields would take hours; a stopped request resolves none after its abort.
      const until = Date.now() + 500;
      await waitFor(() => Date.now() > until, 2_000);
      expect(work.fieldsResolved).toBe(atAbort);

      const next = await bookings.query(nestedBookings(1), {}, guest);
      expect(next.errors).toBeUndefined();
    });
  });

  describe('with a statement_timeout', () => {
    let bookings: RunningSubgraph;
    beforeAll(async () => {
      bookings = await startSubgraph('bookings', { config: { statementTimeoutMs: 300 } });
    });
    afterAll(() => bookings?.dispose());

    it('cancels a statement that runs too long and answers STATEMENT_TIMEOUT, without a stack', async () => {
      // Another session holds the table: the request's SELECT waits on the lock until the
      // server cancels it, just as a runaway statement would be.
      const holder = new Client({ connectionString: bookings.database.url });
      await holder.connect();
      try {
        await holder.query('begin');
        await holder.query('lock table bookings in access exclusive mode');
        const started = Date.now();
        const response = await bookings.query('{ bookings(first: 5) { edges { node { id } } } }', {}, guest);
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(response.errors).toEqual([
          expect.objectContaining({ path: ['bookings'], extensions: { code: 'STATEMENT_TIMEOUT' } }),
        ]);
        expect(JSON.stringify(response)).not.toMatch(/stacktrace|\/work\//);
      } finally {
        await holder.query('rollback');
        await holder.end();
      }
      const after = await bookings.query('{ bookings(first: 5) { edges { node { id } } } }', {}, guest);
      expect(after.errors).toBeUndefined();
    });
  });
});
