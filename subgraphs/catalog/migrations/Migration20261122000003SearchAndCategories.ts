import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000003SearchAndCategories extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table categories (
        id uuid primary key,
        slug text not null unique check (slug ~ '^[a-z0-9-]+$'),
        name text not null,
        created_at timestamptz not null default now()
      )`);
    this.addSql('alter table listings add column category_id uuid references categories (id)');
    this.addSql('create index listings_category_id_idx on listings (category_id)');
    // Search sorts by price with keyset pages.
    this.addSql('create index listings_published_price_idx on listings (price_amount, id) where published');
    // Which time ranges are taken, kept from bookings' events: search hides occupied listings.
    this.addSql(`
      create table listing_occupancy (
        booking_id uuid primary key,
        listing_id uuid not null,
        starts_at timestamptz not null,
        ends_at timestamptz not null,
        active boolean not null
      )`);
    this.addSql('create extension if not exists btree_gist');
    this.addSql('create index listing_occupancy_active_idx on listing_occupancy using gist (listing_id, tstzrange(starts_at, ends_at)) where active');
  }

  override async down(): Promise<void> {
    this.addSql('drop table listing_occupancy');
    this.addSql('alter table listings drop column category_id');
    this.addSql('drop table categories');
  }
}
