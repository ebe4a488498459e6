/**
 * Bulk seed for router workload A: users, listings, bookings and invoices written straight into
 * the four subgraph databases, after the subgraphs have run their migrations. Each database gets
 * the rows its service and its event consumers would have left behind had every booking gone
 * through createBooking → invoice → payment (or cancellation, or hold expiry):
 *
 * - accounts: users (an admin, hosts, guests), all signing in with WORKLOAD_A_PASSWORD;
 * - catalog:  published listings, and listing_occupancy (from bookings' events);
 * - bookings: listing_snapshots (from catalog's listing.published) and the bookings;
 * - billing:  one invoice per booking with its lines, the payment of each paid one, and the
 *             balanced ledger postings of issue, payment and void.
 *
 * Outbox and inbox rows are left out: the events would all be published and applied already,
 * and neither table is read on the request path.
 *
 * Every row is derived from its ordinal (guest g, host h, listing l, booking b) by the same SQL
 * in each database, ids included (`workload_id`, a name-based UUID like runtime's demoId), so the
 * databases agree with each other without shipping id lists between them, and two runs on fresh
 * databases produce the same rows.
 */
import { Client } from 'pg';

export interface SeedSize {
  guests: number;
  hosts: number;
  listings: number;
  bookings: number;
}

export interface SeededWorkload {
  adminEmail: string;
  adminPassword: string;
  /** Published and bookable, oldest first; every 2040+ range is free on each of them. */
  listingIds: string[];
  bookingCount: number;
  guestIds: string[];
}

export type SubgraphDatabaseUrls = Record<'accounts' | 'catalog' | 'bookings' | 'billing', string>;

export const DEFAULT_SEED_SIZE: SeedSize = { guests: 200, hosts: 50, listings: 2_000, bookings: 20_000 };

export const WORKLOAD_A_ADMIN_EMAIL = 'workload-a-admin@bench.example';
/** Every seeded user, guests and hosts included, signs in with this password. */
export const WORKLOAD_A_PASSWORD = 'workload-a-password';

/**
 * argon2id of WORKLOAD_A_PASSWORD with accounts' parameters (m=19456, t=2, p=1), computed once
 * with @node-rs/argon2: hashing 251 passwords at seed time would cost seconds and a native
 * dependency for rows that differ only in their salt.
 */
const PASSWORD_HASH = '$argon2id$v=19$m=19456,t=2,p=1$llOnAUuIO3sPIajLjUumJA$vYeiWZ8LKMU0k9lnBRmKGhc+U3GI1XL9Q0NR/xIzjOs';

/** Stays start here, one week-long slot per booking of a listing; bench createBooking uses 2040+. */
const FIRST_STAY = Date.UTC(2031, 0, 1, 15);
const STAYS_END_BEFORE = Date.UTC(2040, 0, 1);
const SLOT_DAYS = 7;
const DAY_MS = 24 * 60 * 60 * 1000;

interface Statement {
  readonly text: string;
  readonly values?: readonly unknown[];
}

// ---------------------------------------------------------------------------------------------
// The workload itself, built as temporary tables in every session that needs it, so catalog,
// bookings and billing read the same listings and bookings.

/**
 * A name-based UUID (version 5 layout over sha256 of the name, like runtime's demoId). Written as
 * one immutable expression so PostgreSQL inlines it: called as a function it costs six times
 * as much, a few seconds over the quarter of a million ids of the default size. (`::bytea` reads
 * backslashes as escapes; the names here have none.)
 */
const WORKLOAD_ID_FUNCTION: Statement = {
  text: `
    create function pg_temp.workload_id(kind text, n integer) returns uuid language sql immutable as $$
      select overlay(overlay(left(encode(sha256(('booking-supergraph:workload-a-' || kind || ':' || n::text)::bytea), 'hex'), 32)
                             placing '5' from 13) placing '8' from 17)::uuid
    $$`,
};

function listingPlan(size: SeedSize): Statement[] {
  return [
    {
      text: `
        create temp table workload_listing (
          n integer primary key,
          id uuid not null,
          host_id uuid not null,
          title text not null,
          city text not null,
          country text not null,
          capacity integer not null,
          nightly_amount integer not null,
          cleaning_fee_amount integer not null,
          created_at timestamptz not null
        ) on commit drop`,
    },
    {
      // Prices from 50.00 to 249.00 EUR a night; a quarter of the listings have no cleaning
      // fee, so their invoices have one line, as billing issues them.
      text: `
        insert into workload_listing
        select l, pg_temp.workload_id('listing', l), pg_temp.workload_id('host', l % $2::integer),
               kind.name || ' in ' || place.city || ' #' || (l + 1), place.city, place.country,
               1 + l % 6, 5000 + (l * 37 % 200) * 100, (l % 4) * 1000,
               timestamptz '2026-05-01 00:00:00+00' + l * interval '1 minute'
          from generate_series(0, $1::integer - 1) as l
          join (values (0, 'Lisbon', 'PT'), (1, 'Berlin', 'DE'), (2, 'Kyoto', 'JP'), (3, 'Paris', 'FR'),
                       (4, 'Austin', 'US'), (5, 'Cape Town', 'ZA'), (6, 'Oslo', 'NO'), (7, 'Buenos Aires', 'AR'))
            as place (i, city, country) on place.i = l % 8
          join (values (0, 'Loft'), (1, 'Studio'), (2, 'Flat'), (3, 'Cabin'), (4, 'Townhouse'), (5, 'Desk'))
            as kind (i, name) on kind.i = l / 8 % 6`,
      values: [size.listings, size.hosts],
    },
  ];
}

/**
 * Booking b is of listing b % listings, in that listing's slot b / listings: a week starting
 * 2031-01-01 (+1 day on odd listings), 1 to 5 nights, 15:00 to 11:00, so no two bookings of a
 * listing overlap whatever their status. Guests rotate per listing and slot. One in ten was
 * cancelled while held, one in ten expired unpaid, the rest were paid and confirmed; none is
 * still HELD, so the hold-expiry job finds nothing to do during a run.
 */
function bookingPlan(size: SeedSize): Statement[] {
  return [
    {
      text: `
        create temp table workload_booking (
          n integer primary key,
          id uuid not null,
          listing_id uuid not null,
          host_id uuid not null,
          guest_id uuid not null,
          starts_at timestamptz not null,
          ends_at timestamptz not null,
          guests integer not null,
          nights integer not null,
          nightly_amount integer not null,
          cleaning_fee_amount integer not null,
          total_amount integer not null,
          status text not null,
          created_at timestamptz not null,
          -- When billing saw the payment, or bookings the cancellation or expiry.
          settled_at timestamptz not null,
          invoice_id uuid not null,
          payment_id uuid not null
        ) on commit drop`,
    },
    {
      text: `
        insert into workload_booking
        select b, pg_temp.workload_id('booking', b), listing.id, listing.host_id,
               pg_temp.workload_id('guest', (listing.n * 7 + shape.slot * 37) % $3::integer),
               stay.starts_at, stay.starts_at + shape.nights * interval '1 day' - interval '4 hours',
               1 + b % listing.capacity, shape.nights, listing.nightly_amount, listing.cleaning_fee_amount,
               shape.nights * listing.nightly_amount + listing.cleaning_fee_amount,
               outcome.status, stay.created_at,
               stay.created_at + case outcome.status when 'CONFIRMED' then interval '2 minutes'
                                                     when 'CANCELLED' then interval '5 minutes'
                                                     else interval '15 minutes' end, -- the hold's 900 s
               pg_temp.workload_id('invoice', b), pg_temp.workload_id('payment', b)
          from generate_series(0, $1::integer - 1) as b
          cross join lateral (select b % $2::integer as listing_n, b / $2::integer as slot, 1 + b % 5 as nights) as shape
          join workload_listing as listing on listing.n = shape.listing_n
          cross join lateral (
            select timestamptz '2031-01-01 15:00:00+00' + (shape.slot * ${SLOT_DAYS} + listing.n % 2) * interval '1 day' as starts_at,
                   timestamptz '2026-06-01 00:00:00+00' + b * interval '30 seconds' as created_at
          ) as stay
          cross join lateral (
            select case b % 10 when 3 then 'CANCELLED' when 7 then 'EXPIRED' else 'CONFIRMED' end as status
          ) as outcome`,
      values: [size.bookings, size.listings, size.guests],
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// What each subgraph's database holds of the workload.

function accountsRows(size: SeedSize): Statement[] {
  return [
    {
      text: `
        insert into users (id, email, display_name, role, password_hash, created_at)
        select pg_temp.workload_id('admin', 0), $1::text, 'Workload Admin', 'ADMIN', $2::text, timestamptz '2026-04-01 00:00:00+00'
        union all
        select pg_temp.workload_id('host', h), 'workload-a-host-' || h || '@bench.example', 'Host ' || lpad((h + 1)::text, 3, '0'),
               'HOST', $2, timestamptz '2026-04-01 00:01:00+00' + h * interval '1 minute'
          from generate_series(0, $3::integer - 1) as h
        union all
        select pg_temp.workload_id('guest', g), 'workload-a-guest-' || g || '@bench.example', 'Guest ' || lpad((g + 1)::text, 4, '0'),
               'GUEST', $2, timestamptz '2026-04-02 00:00:00+00' + g * interval '1 minute'
          from generate_series(0, $4::integer - 1) as g`,
      values: [WORKLOAD_A_ADMIN_EMAIL, PASSWORD_HASH, size.hosts, size.guests],
    },
  ];
}

function catalogRows(): Statement[] {
  return [
    {
      text: `
        insert into listings (id, title, description, city, country, capacity, price_amount, price_currency,
                              cleaning_fee_amount, published, category_id, host_id, created_at)
        select id, title, title || '. Seeded for router workload A.', city, country, capacity, nightly_amount, 'EUR',
               cleaning_fee_amount, true, null, host_id, created_at
          from workload_listing order by n`,
    },
    {
      // As catalog's consumer leaves it: booking.held made the range active, the later
      // status change kept it (CONFIRMED) or freed it (CANCELLED, EXPIRED).
      text: `
        insert into listing_occupancy (booking_id, listing_id, starts_at, ends_at, active)
        select id, listing_id, starts_at, ends_at, status = 'CONFIRMED' from workload_booking order by n`,
    },
  ];
}

/** JavaScript's Date#toISOString, which BookingService hashes requests with. */
const ISO_INSTANT = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

function bookingsRows(): Statement[] {
  return [
    {
      // One listing.published event per listing, applied a second after it was created.
      text: `
        insert into listing_snapshots (listing_id, host_id, title, capacity, nightly_amount, cleaning_fee_amount,
                                       currency, published, updated_at)
        select id, host_id, title, capacity, nightly_amount, cleaning_fee_amount, 'EUR', true, created_at + interval '1 second'
          from workload_listing order by n`,
    },
    {
      // Confirmation follows invoice.settled by a second; a hold's deadline is cleared when it ends.
      text: `
        insert into bookings (id, listing_id, guest_id, host_id, starts_at, ends_at, status, guests, nights,
                              total_amount, currency, hold_expires_at, idempotency_key, request_hash, created_at, updated_at)
        select id, listing_id, guest_id, host_id, starts_at, ends_at, status, guests, nights,
               total_amount, 'EUR', null, 'workload-a-' || n,
               encode(sha256(convert_to(concat_ws('|', listing_id,
                 to_char(starts_at at time zone 'UTC', ${ISO_INSTANT}),
                 to_char(ends_at at time zone 'UTC', ${ISO_INSTANT}), guests), 'UTF8')), 'hex'),
               created_at,
               settled_at + case status when 'CONFIRMED' then interval '1 second' else interval '0' end
          from workload_booking order by n`,
    },
  ];
}

/** The card the local payment provider accepts; payments keep only a hash of it. */
const TEST_CARD_HASH = `encode(sha256(convert_to('4242424242424242|12|2035', 'UTF8')), 'hex')`;

function billingRows(): Statement[] {
  return [
    {
      // Issued a second after booking.held; a paid invoice changed at payment, a void one a
      // second after the booking ended.
      text: `
        insert into invoices (id, booking_id, guest_id, host_id, listing_id, stay_starts_at, amount_minor, currency,
                              status, refunded_minor, created_at, updated_at)
        select invoice_id, id, guest_id, host_id, listing_id, starts_at, total_amount, 'EUR',
               case status when 'CONFIRMED' then 'PAID' else 'VOID' end, 0,
               created_at + interval '1 second',
               settled_at + case status when 'CONFIRMED' then interval '0' else interval '1 second' end
          from workload_booking order by n`,
    },
    {
      text: `
        insert into invoice_lines (id, invoice_id, position, description, quantity, unit_minor, amount_minor)
        select pg_temp.workload_id('invoice-line-' || line.position, booking.n), booking.invoice_id, line.position,
               line.description, line.quantity, line.unit_minor, line.quantity * line.unit_minor
          from workload_booking as booking
          cross join lateral (values (1, 'Nights', booking.nights, booking.nightly_amount),
                                     (2, 'Cleaning fee', 1, booking.cleaning_fee_amount))
            as line (position, description, quantity, unit_minor)
         where line.position = 1 or booking.cleaning_fee_amount > 0
         order by booking.n, line.position`,
    },
    {
      text: `
        insert into payments (id, invoice_id, idempotency_key, request_hash, amount_minor, currency, status,
                              decline_reason, provider_reference, created_at)
        select payment_id, invoice_id, 'workload-a-pay-' || n, ${TEST_CARD_HASH}, total_amount, 'EUR', 'SUCCEEDED', null,
               'local_' || left(encode(sha256(convert_to('workload-a-pay-' || n || ':' || total_amount || ':EUR', 'UTF8')), 'hex'), 24),
               settled_at
          from workload_booking where status = 'CONFIRMED' order by n`,
    },
    {
      // Two ledger transactions per invoice, each balanced on its own (the deferred trigger
      // checks at commit): issue (receivable against unearned revenue), then payment (cash
      // against receivable) or void (unearned revenue against receivable).
      text: `
        insert into ledger_entries (transaction_id, account, debit_minor, credit_minor, currency, description, created_at)
        select posting.transaction_id, posting.account, posting.debit, posting.credit, 'EUR', posting.description, posting.at
          from workload_booking as booking
          cross join lateral (
            select pg_temp.workload_id(case booking.status when 'CONFIRMED' then 'ledger-payment' else 'ledger-void' end, booking.n) as id,
                   case booking.status when 'CONFIRMED' then 'payment ' || booking.payment_id || ' of invoice ' || booking.invoice_id
                                       else 'void invoice ' || booking.invoice_id end as description,
                   case booking.status when 'CONFIRMED' then booking.settled_at else booking.settled_at + interval '1 second' end as at
          ) as settlement
          cross join lateral (
            values (1, pg_temp.workload_id('ledger-issue', booking.n), 'accounts_receivable', booking.total_amount, 0,
                    'issue invoice ' || booking.invoice_id, booking.created_at + interval '1 second'),
                   (2, pg_temp.workload_id('ledger-issue', booking.n), 'unearned_revenue', 0, booking.total_amount,
                    'issue invoice ' || booking.invoice_id, booking.created_at + interval '1 second'),
                   (3, settlement.id, case booking.status when 'CONFIRMED' then 'cash' else 'unearned_revenue' end,
                    booking.total_amount, 0, settlement.description, settlement.at),
                   (4, settlement.id, 'accounts_receivable', 0, booking.total_amount, settlement.description, settlement.at)
          ) as posting (ordinal, transaction_id, account, debit, credit, description, at)
         order by booking.n, posting.ordinal`,
    },
  ];
}

/** Fresh statistics, so the first measured requests are planned as they will be in steady state. */
const ANALYZE: Record<keyof SubgraphDatabaseUrls, string> = {
  accounts: 'analyze users',
  catalog: 'analyze listings, listing_occupancy',
  bookings: 'analyze listing_snapshots, bookings',
  billing: 'analyze invoices, invoice_lines, payments, ledger_entries',
};

// ---------------------------------------------------------------------------------------------

function checkSize(size: SeedSize): void {
  for (const [name, value] of Object.entries(size)) {
    const least = name === 'bookings' ? 0 : 1;
    if (!Number.isSafeInteger(value) || value < least) throw new RangeError(`seed size ${name} must be an integer ≥ ${least}, got ${value}`);
  }
  const slots = Math.ceil(size.bookings / size.listings);
  // The last slot's stay must end before the ranges the benchmark books itself.
  if (FIRST_STAY + slots * SLOT_DAYS * DAY_MS >= STAYS_END_BEFORE) {
    throw new RangeError(`${size.bookings} bookings on ${size.listings} listings reach past 2039; add listings`);
  }
}

async function run(client: Client, statements: readonly Statement[]): Promise<void> {
  for (const statement of statements) await client.query(statement.text, statement.values ? [...statement.values] : undefined);
}

/**
 * Seeds the four databases in one transaction each and commits them only when all four
 * succeeded (billing first: its deferred ledger check is the one that can still fail at
 * commit), so a failed seed leaves fresh databases behind, not a half-consistent workload.
 */
export async function seedWorkloadA(databaseUrls: SubgraphDatabaseUrls, size: SeedSize): Promise<SeededWorkload> {
  checkSize(size);
  const names = ['billing', 'accounts', 'catalog', 'bookings'] as const;
  const clients = Object.fromEntries(names.map((name) => [name, new Client({ connectionString: databaseUrls[name] })])) as Record<
    (typeof names)[number],
    Client
  >;
  const opened: Client[] = [];
  try {
    for (const name of names) {
      await clients[name].connect();
      opened.push(clients[name]);
      await clients[name].query('begin');
    }
    const workload = [WORKLOAD_ID_FUNCTION, ...listingPlan(size), ...bookingPlan(size)];
    // Settled, not all: no session may be ended below while another still has a query running.
    const outcomes = await Promise.allSettled([
      run(clients.accounts, [WORKLOAD_ID_FUNCTION, ...accountsRows(size)]),
      run(clients.catalog, [...workload, ...catalogRows()]),
      run(clients.bookings, [...workload, ...bookingsRows()]),
      run(clients.billing, [...workload, ...billingRows()]),
    ]);
    const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    const listingIds = await clients.catalog.query<{ id: string }>('select id from workload_listing order by n');
    const guestIds = await clients.accounts.query<{ id: string }>(
      `select pg_temp.workload_id('guest', g) as id from generate_series(0, $1::integer - 1) as g order by g`,
      [size.guests],
    );
    const bookingCount = await clients.bookings.query<{ count: string }>('select count(*) from workload_booking');
    for (const name of names) await clients[name].query('commit');
    await Promise.all(names.map((name) => clients[name].query(ANALYZE[name])));
    return {
      adminEmail: WORKLOAD_A_ADMIN_EMAIL,
      adminPassword: WORKLOAD_A_PASSWORD,
      listingIds: listingIds.rows.map((row) => row.id),
      bookingCount: Number(bookingCount.rows[0]?.count ?? 0),
      guestIds: guestIds.rows.map((row) => row.id),
    };
  } finally {
    // Ending a session rolls back whatever it has not committed.
    await Promise.all(opened.map((client) => client.end().catch(() => undefined)));
  }
}
