import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000001CreateListings extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table listings (
        id uuid primary key,
        title text not null,
        description text not null,
        city text not null,
        capacity integer not null check (capacity > 0),
        price_amount integer not null check (price_amount >= 0),
        price_currency char(3) not null check (price_currency ~ '^[A-Z]{3}$'),
        host_id uuid not null,
        created_at timestamptz not null default now()
      )`);
    // listings(first, after) and listings(city, first, after) are keyset scans of these.
    this.addSql('create index listings_created_at_id_idx on listings (created_at, id)');
    this.addSql('create index listings_city_created_at_id_idx on listings (lower(city), created_at, id)');
    this.addSql('create index listings_host_id_idx on listings (host_id)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table listings');
  }
}
