import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000001CreateBookings extends Migration {
  override async up(): Promise<void> {
    this.addSql('create extension if not exists btree_gist');
    this.addSql(`
      create table bookings (
        id uuid primary key,
        listing_id uuid not null,
        guest_id uuid not null,
        starts_at timestamptz not null,
        ends_at timestamptz not null,
        status text not null check (status in ('HELD', 'CONFIRMED', 'COMPLETED', 'CANCELLED', 'EXPIRED')),
        created_at timestamptz not null default now(),
        constraint bookings_range_valid check (ends_at > starts_at)
      )`);
    // No double booking, decided by the database: two active bookings of one listing never overlap.
    this.addSql(`
      alter table bookings add constraint bookings_no_overlap
        exclude using gist (listing_id with =, tstzrange(starts_at, ends_at) with &&)
        where (status in ('HELD', 'CONFIRMED'))`);
    this.addSql('create index bookings_created_at_id_idx on bookings (created_at, id)');
    this.addSql('create index bookings_listing_id_created_at_idx on bookings (listing_id, created_at, id)');
    this.addSql('create index bookings_guest_id_created_at_idx on bookings (guest_id, created_at, id)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table bookings');
  }
}
