/**
 * EXPLAIN (ANALYZE, BUFFERS) of the statements the subgraphs issue for workload A, on the
 * seeded data: every filter and join the operations use, and whether an index serves it. The
 * statement texts are the ones MikroORM and the event relay send, read off PostgreSQL's
 * statement log (`log_statement = 'all'`) while the operations ran; ids are real seeded ones.
 */
import { Client } from 'pg';
import type { SeededWorkload } from './seed';

type Database = 'accounts' | 'catalog' | 'bookings' | 'billing';

interface Explained {
  readonly database: Database;
  readonly purpose: string;
  readonly sql: string;
}

const quoted = (ids: readonly string[]) => ids.map((id) => `'${id.replace(/'/g, "''")}'`).join(', ');

async function withClient<T>(url: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

export async function explainWorkloadA(databaseUrls: Readonly<Record<Database, string>>, seeded: SeededWorkload): Promise<string> {
  const bookingIds = await withClient(databaseUrls.bookings, async (client) =>
    (await client.query<{ id: string }>('select id from bookings order by created_at, id limit 20')).rows.map((row) => row.id),
  );
  const listings50 = seeded.listingIds.slice(0, 50);
  // A cursor 19,000 bookings deep: page 951 of bookings(first: 20).
  const deep = await withClient(databaseUrls.bookings, async (client) =>
    (await client.query<{ created_at: Date; id: string }>('select created_at, id from bookings order by created_at, id offset 19000 limit 1')).rows[0],
  );
  const statements: Explained[] = [
    { database: 'catalog', purpose: 'lookup: a listing by id (DataLoader batch of one)', sql: `select "l0".* from "listings" as "l0" where "l0"."id" in (${quoted(seeded.listingIds.slice(7, 8))})` },
    { database: 'catalog', purpose: 'bookings20: the 20 bookings\' listings, one batch', sql: `select "l0".* from "listings" as "l0" where "l0"."id" in (${quoted(seeded.listingIds.slice(0, 20))})` },
    { database: 'catalog', purpose: 'listings50: the first page of published listings', sql: 'select "l0".* from "listings" as "l0" where "l0"."published" = true order by "l0"."created_at" asc, "l0"."id" asc limit 51' },
    { database: 'bookings', purpose: 'bookings20: the first page of bookings (admin)', sql: 'select "b0".* from "bookings" as "b0" order by "b0"."created_at" asc, "b0"."id" asc limit 21' },
    ...(deep
      ? [
          {
            database: 'bookings' as const,
            purpose: 'a page 19,000 bookings deep (keyset cursor)',
            sql: `select "b0".* from "bookings" as "b0" where "b0"."created_at" >= '${deep.created_at.toISOString()}' and ("b0"."created_at" > '${deep.created_at.toISOString()}' or ("b0"."created_at" = '${deep.created_at.toISOString()}' and "b0"."id" > '${deep.id}')) order by "b0"."created_at" asc, "b0"."id" asc limit 21`,
          },
        ]
      : []),
    { database: 'bookings', purpose: 'listings50: a page of bookings for each of 50 listings, one batch', sql: `select * from (select "e".*, row_number() over (partition by "e"."listing_id" order by "e"."created_at" asc, "e"."id" asc) as page_rank from "bookings" as "e" where "e"."listing_id" in (${quoted(listings50)})) as "ranked" where "page_rank" <= 101 order by "listing_id" asc, "created_at" asc, "id" asc` },
    { database: 'bookings', purpose: 'hold expiry job (every second)', sql: `select "b0".* from "bookings" as "b0" where "b0"."status" = 'HELD' and "b0"."hold_expires_at" <= now() order by "b0"."hold_expires_at" asc limit 100` },
    { database: 'billing', purpose: 'bookings20: the 20 bookings\' invoices, one batch', sql: `select "i0".* from "invoices" as "i0" where "i0"."booking_id" in (${quoted(bookingIds)})` },
    { database: 'accounts', purpose: 'bookings20 / listings50: the guests, one batch', sql: `select "u0".* from "users" as "u0" where "u0"."id" in (${quoted(seeded.guestIds.slice(0, 20))})` },
    { database: 'bookings', purpose: 'event relay poll (every subgraph, ~20/s)', sql: 'select position, id, stream, type, version, payload, occurred_at from outbox_events where published_at is null order by position limit 200' },
  ];
  const sections: string[] = [
    '# EXPLAIN of workload A\'s statements',
    '',
    `On the seeded data (${seeded.listingIds.length} listings, ${seeded.bookingCount} bookings, ${seeded.guestIds.length} guests), after ANALYZE. One statement per entity type per request: DataLoader batches every lookup of a type into one \`in (…)\`.`,
    '',
  ];
  for (const statement of statements) {
    const plan = await withClient(databaseUrls[statement.database], async (client) =>
      (await client.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers, costs off, timing on) ${statement.sql}`)).rows.map((row) => row['QUERY PLAN']),
    );
    const shown = statement.sql.length > 220 ? `${statement.sql.slice(0, 220)}…` : statement.sql;
    sections.push(`## ${statement.database}: ${statement.purpose}`, '', '```sql', shown, '```', '', '```', ...plan, '```', '');
  }
  return sections.join('\n');
}
