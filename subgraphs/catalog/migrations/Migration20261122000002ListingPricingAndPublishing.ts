import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000002ListingPricingAndPublishing extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table listings
      add column cleaning_fee_amount integer not null default 0 check (cleaning_fee_amount >= 0),
      add column country text not null default '',
      add column published boolean not null default true`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table listings drop column cleaning_fee_amount, drop column country, drop column published');
  }
}
