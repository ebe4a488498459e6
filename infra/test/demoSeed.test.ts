/**
 * `npm start` seeds demo data on every start (SEED_DEMO=true). The seed adds only what is
 * missing (issue 9, item 15): a demo row that has moved on since — a booking completed, a listing
 * unpublished, a user renamed, an invoice voided — is kept as it is, and no event is written for it.
 */
import { startSubgraph, type RunningSubgraph } from '@booking/testkit';
import { demoId, type SubgraphName } from '@booking/runtime';

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
