/**
 * `npm start` seeds demo data on every start (SEED_DEMO=true). The seed adds only what is
 * missing (issue 9, item 15): a demo row that has moved on since — a booking completed, a listing
 * unpublished, a user renamed, an invoice voided — is kept as it is, and no event is written for it.
 */
import { startSubgraph, type RunningSubgraph } from '@booking/testkit';
import { demoId, demoStayStart, type SubgraphName } from '@booking/runtime';

interface Case {
  readonly subgraph: SubgraphName;
  /** Changes one demo row as the service (or an admin) might have since the last start. */
  readonly change: string;
  readonly read: string;
  readonly id: string;
  readonly changed: Record<string, unknown>;
}

const cases: Case[] = [
  {
    subgraph: 'bookings',
    change: `update bookings set status = 'COMPLETED' where id = ?`,
    read: 'select status from bookings where id = ?',
    id: demoId('booking', 'alice-alfama'),
    changed: { status: 'COMPLETED' },
  },
  {
    subgraph: 'catalog',
    change: `update listings set published = false, title = 'Renamed by its host' where id = ?`,
    read: 'select published, title from listings where id = ?',
    id: demoId('listing', 'alfama-loft'),
    changed: { published: false, title: 'Renamed by its host' },
  },
  {
    subgraph: 'accounts',
    change: `update users set display_name = 'Alice M.' where id = ?`,
    read: 'select display_name from users where id = ?',
    id: demoId('user', 'alice'),
    changed: { display_name: 'Alice M.' },
  },
  {
    subgraph: 'billing',
    change: `update invoices set status = 'VOID' where id = ?`,
    read: 'select status from invoices where id = ?',
    id: demoId('invoice', 'bruno-kreuzberg'),
    changed: { status: 'VOID' },
  },
];

describe('demo seed keeps what exists', () => {
  const running: RunningSubgraph[] = [];
  afterAll(async () => {
    for (const subgraph of running) await subgraph.dispose();
  });

  it.each(cases)('$subgraph: a changed demo row survives a restart, with no new event', async ({ subgraph: name, change, read, id, changed }) => {
    const subgraph = await startSubgraph(name, { seedDemo: true });
    running.push(subgraph);
    const sql = () => subgraph.server.database.em.fork();
    const hasOutbox = async () =>
      (await sql().execute(`select count(*)::int as n from information_schema.tables where table_name = 'outbox_events'`))[0]?.n === 1;
    const outboxCount = async () => ((await hasOutbox()) ? (await sql().execute('select count(*)::int as n from outbox_events'))[0]?.n : 0);

    await sql().execute(change, [id]);
    const eventsBefore = await outboxCount();
    await subgraph.restart();

    const [row] = await sql().execute(read, [id]);
    expect(row).toEqual(changed);
    expect(await outboxCount()).toBe(eventsBefore);
  });
});

/**
 * Issue 16: the demo stays had fixed dates, which age into the past (a HELD demo booking would
 * expire at the first start, and stays would lie where no guest could book them any more).
 * They start a fixed number of days after the seeding day, the same in bookings and billing.
 */
describe('demo stays lie ahead of the day they are seeded', () => {
  const running: RunningSubgraph[] = [];
  afterAll(async () => {
    for (const subgraph of running) await subgraph.dispose();
  });

  it('in bookings (an open hold) and in billing (the same stay start)', async () => {
    const before = new Date();
    const [bookings, billing] = await Promise.all([startSubgraph('bookings', { seedDemo: true }), startSubgraph('billing', { seedDemo: true })]);
    running.push(bookings, billing);
    const after = new Date();
    const rows = (await bookings.server.database.em.fork().execute('select id, status, starts_at, hold_expires_at from bookings')) as {
      id: string;
      status: string;
      starts_at: Date;
      hold_expires_at: Date | null;
    }[];
    const invoices = (await billing.server.database.em.fork().execute('select booking_id, stay_starts_at from invoices')) as { booking_id: string; stay_starts_at: Date }[];
    const expected = [
      ['alice-alfama', 14],
      ['bruno-kreuzberg', 24],
      ['chen-machiya', 40],
      ['alice-tea', 42],
    ] as const;
    for (const [name, daysAhead] of expected) {
      const row = rows.find((candidate) => candidate.id === demoId('booking', name));
      // Seeded on the day the subgraph started (either side of a midnight it may have crossed).
      const starts = new Date(row?.starts_at ?? 0).getTime();
      expect([demoStayStart(daysAhead, before).getTime(), demoStayStart(daysAhead, after).getTime()]).toContain(starts);
      expect(new Date(invoices.find((invoice) => invoice.booking_id === demoId('booking', name))?.stay_starts_at ?? 0).getTime()).toBe(starts);
      if (row?.status === 'HELD') expect(new Date(row.hold_expires_at ?? 0).getTime()).toBeGreaterThan(after.getTime());
    }
    expect(rows.some((row) => row.status === 'HELD')).toBe(true);
  });
});
