import { Migration } from '@mikro-orm/migrations';

/** Deleted accounts stay as anonymised rows (bookings and invoices elsewhere keep their id). */
export class Migration20261204000002SoftDeleteUsers extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table users add column deleted_at timestamptz null');
  }

  override async down(): Promise<void> {
    this.addSql('alter table users drop column deleted_at');
  }
}
