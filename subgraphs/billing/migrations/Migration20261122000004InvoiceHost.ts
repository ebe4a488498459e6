import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000004InvoiceHost extends Migration {
  override async up(): Promise<void> {
    // The listing's host (from booking.held), who may see invoices of bookings on their listings.
    this.addSql('alter table invoices add column host_id uuid');
    this.addSql('create index invoices_host_id_idx on invoices (host_id)');
  }

  override async down(): Promise<void> {
    this.addSql('alter table invoices drop column host_id');
  }
}
