import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000002AddInvoiceGuest extends Migration {
  override async up(): Promise<void> {
    // Who owes the invoice, so billing can decide who may see it without asking bookings.
    this.addSql('alter table invoices add column guest_id uuid');
    this.addSql('create index invoices_guest_id_idx on invoices (guest_id)');
  }

  override async down(): Promise<void> {
    this.addSql('alter table invoices drop column guest_id');
  }
}
