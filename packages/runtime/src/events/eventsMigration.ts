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

/**
 * NOTIFY at commit whenever outbox rows were written, so relays publish at once instead of at
 * their next poll (PostgreSQL delivers notifications only when the transaction commits).
 */
export class OutboxNotifyMigration extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create function outbox_events_notify() returns trigger language plpgsql as $$
      begin
        perform pg_notify('outbox_events', '');
        return null;
      end $$`);
    this.addSql(`create trigger outbox_events_notify after insert on outbox_events
      for each statement execute function outbox_events_notify()`);
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger outbox_events_notify on outbox_events');
    this.addSql('drop function outbox_events_notify');
  }
}

/**
 * Each outbox row keeps the W3C `traceparent` of the transaction that wrote it, so the relay
 * and the consumers of its event continue that trace. Null for rows written with tracing off
 * and for rows from before this column: those events are published and handled as before.
 */
export class OutboxTraceContextMigration extends Migration {
  override async up(): Promise<void> {
    // Nullable with no default: PostgreSQL adds it without rewriting the table.
    this.addSql('alter table outbox_events add column traceparent text');
  }

  override async down(): Promise<void> {
    this.addSql('alter table outbox_events drop column traceparent');
  }
}

/** Every subgraph lists these, in this order. */
export const EVENT_MIGRATIONS = [
  EVENT_TABLES_MIGRATION,
  { name: 'Migration20261122000101OutboxNotify', class: OutboxNotifyMigration },
  { name: 'Migration20261204000102OutboxTraceContext', class: OutboxTraceContextMigration },
];
