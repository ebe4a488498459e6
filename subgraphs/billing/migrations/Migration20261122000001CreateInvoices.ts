import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000001CreateInvoices extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table invoices (
        id uuid primary key,
        booking_id uuid not null,
        amount_minor integer not null check (amount_minor >= 0),
        currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
        status text not null check (status in ('OPEN', 'PAID', 'VOID', 'REFUNDED')),
        created_at timestamptz not null default now(),
        -- One invoice per booking; also the index behind Booking.invoice lookups.
        constraint invoices_booking_id_key unique (booking_id)
      )`);
    this.addSql('create index invoices_created_at_id_idx on invoices (created_at, id)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table invoices');
  }
}
