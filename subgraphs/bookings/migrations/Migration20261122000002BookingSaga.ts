import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000002BookingSaga extends Migration {
  override async up(): Promise<void> {
    // What bookings knows of each listing, kept from catalog's listing.published events, so a
    // booking is priced and checked in its own transaction without calling catalog.
    this.addSql(`
      create table listing_snapshots (
        listing_id uuid primary key,
        host_id uuid not null,
        title text not null,
        capacity integer not null,
        nightly_amount integer not null,
        cleaning_fee_amount integer not null,
        currency char(3) not null,
        published boolean not null,
        updated_at timestamptz not null default now()
      )`);
    this.addSql(`alter table bookings
      add column host_id uuid,
      add column guests integer not null default 1 check (guests > 0),
      add column nights integer,
      add column total_amount integer,
      add column currency char(3),
      add column hold_expires_at timestamptz,
      add column idempotency_key text,
      add column request_hash text,
      add column updated_at timestamptz not null default now()`);
    // A retry with the same key finds the first booking instead of creating a second.
    this.addSql('create unique index bookings_guest_idempotency_key on bookings (guest_id, idempotency_key) where idempotency_key is not null');
    // The expiry job scans only live holds, oldest deadline first.
    this.addSql(`create index bookings_hold_expires_at_idx on bookings (hold_expires_at) where status = 'HELD'`);
    this.addSql('create index bookings_host_id_created_at_idx on bookings (host_id, created_at, id)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table listing_snapshots');
    this.addSql(`alter table bookings drop column host_id, drop column guests, drop column nights, drop column total_amount,
      drop column currency, drop column hold_expires_at, drop column idempotency_key, drop column request_hash, drop column updated_at`);
  }
}
