import { Migration } from '@mikro-orm/migrations';

/**
 * The outbox (events written in the same transaction as the state change) and the inbox
 * (event ids a consumer has applied, written in the handler's transaction). Every subgraph
 * lists this migration, so each has both tables in its own database.
 */
export class EventTablesMigration extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table outbox_events (
        position bigserial primary key,
        id uuid not null unique,
        stream text not null,
        type text not null,
        version integer not null,
        payload jsonb not null,
        occurred_at timestamptz not null default now(),
        published_at timestamptz
      )`);
    // The relay scans only what is not yet published, in commit order.
    this.addSql('create index outbox_events_unpublished_idx on outbox_events (position) where published_at is null');
    this.addSql(`
      create table inbox_events (
        consumer text not null,
        event_id uuid not null,
        processed_at timestamptz not null default now(),
        primary key (consumer, event_id)
      )`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table inbox_events');
    this.addSql('drop table outbox_events');
  }
}

export const EVENT_TABLES_MIGRATION = { name: 'Migration20261122000100EventTables', class: EventTablesMigration };
