import { Client } from 'pg';
import type { Logger } from '../logger';
import { eventPublishSpan } from './eventSpans';
import type { Database } from '../orm/database';
import { streamKey, type EventEnvelope, type StreamName } from './contracts';
import type { EventStreams } from './eventStreams';
import { WakeableSleep } from './wakeableSleep';

/** One relay per database publishes at a time, so each stream receives events in outbox order. */
const RELAY_LOCK_KEY = 727_274_002;

interface OutboxRow {
  position: string;
  id: string;
  stream: StreamName;
  type: string;
  version: number;
  payload: unknown;
  occurred_at: Date | string;
  traceparent: string | null;
}

export interface OutboxRelayOptions {
  readonly database: Database;
  readonly streams: EventStreams;
  readonly keyPrefix: string;
  readonly logger: Logger;
  readonly pollIntervalMs?: number;
  readonly batchSize?: number;
  /** Called with each published batch, after its transaction committed. */
  readonly onPublished?: (events: EventEnvelope[]) => void;
  /** With it, the relay LISTENs for commits that wrote outbox rows and publishes at once. */
  readonly databaseUrl?: string;
}

/**
 * Moves committed outbox rows to Redis Streams. XADD happens before the row is marked, so a
 * crash between the two republishes (at least once); consumers dedupe by event id. While
 * Redis is down nothing is marked, and the backlog drains once it is back.
 */
export class OutboxRelay {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly pause = new WakeableSleep();

  constructor(private readonly options: OutboxRelayOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
    if (this.options.databaseUrl) void this.listen(this.options.databaseUrl);
  }

  private listener: Client | undefined;

  /** Polling still runs; the notification only makes the next publish immediate. */
  private async listen(databaseUrl: string): Promise<void> {
    const client = new Client({ connectionString: databaseUrl });
    client.on('notification', () => this.notify());
    client.on('error', (error) => this.options.logger.warn({ err: error }, 'outbox LISTEN connection lost; polling only'));
    try {
      await client.connect();
      await client.query('listen outbox_events');
      if (!this.running) await client.end();
      else this.listener = client;
    } catch (error) {
      this.options.logger.warn({ err: error }, 'cannot LISTEN for outbox commits; polling only');
      await client.end().catch(() => undefined);
    }
  }

  /** Publish soon: called after a transaction that wrote events commits. */
  notify(): void {
    // Remembered if a publish is running now, so that commit is not left for the next poll.
    this.notified = true;
    this.pause.wake();
  }

  private notified = false;

  async stop(): Promise<void> {
    this.running = false;
    this.pause.wake();
    await this.loop;
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
  }

  /** Publishes one batch; returns how many events went out. */
  async publishBatch(): Promise<number> {
    const batchSize = this.options.batchSize ?? 200;
    const em = this.options.database.em.fork();
    const published: EventEnvelope[] = [];
    const count = await em.transactional(async (tx) => {
      const [lock] = await tx.execute<{ locked: boolean }[]>('select pg_try_advisory_xact_lock(?) as locked', [RELAY_LOCK_KEY]);
      if (!lock?.locked) return 0;
      const rows = await tx.execute<OutboxRow[]>(
        'select position, id, stream, type, version, payload, occurred_at, traceparent from outbox_events where published_at is null order by position limit ?',
        [batchSize],
      );
      if (rows.length === 0) return 0;
      const byStream = new Map<string, string[][]>();
      const spans = [];
      for (const row of rows) {
        const occurredAt = row.occurred_at instanceof Date ? row.occurred_at.toISOString() : String(row.occurred_at);
        const key = streamKey(this.options.keyPrefix, row.stream);
        const fields = ['id', row.id, 'type', row.type, 'version', String(row.version), 'occurredAt', occurredAt, 'payload', JSON.stringify(row.payload)];
        // A row written inside a trace is published in a span of that trace, whose context
        // travels with the message for the consumers to continue.
        const span = row.traceparent ? eventPublishSpan(row.traceparent, key, row.id, row.type) : undefined;
        if (span) {
          spans.push(span);
          fields.push('traceparent', span.traceparent);
        }
        published.push({ id: row.id, stream: row.stream, type: row.type, version: row.version, occurredAt, payload: row.payload } as EventEnvelope);
        byStream.set(key, [...(byStream.get(key) ?? []), fields]);
      }
      try {
        for (const [key, entries] of byStream) await this.options.streams.append(key, entries);
      } catch (error) {
        spans.forEach((span) => span.end(error as Error));
        throw error;
      }
      spans.forEach((span) => span.end());
      await tx.execute('update outbox_events set published_at = now() where position in (?)', [rows.map((row) => row.position)]);
      return rows.length;
    });
    if (published.length > 0) this.options.onPublished?.(published);
    return count;
  }

  private async run(): Promise<void> {
    const interval = this.options.pollIntervalMs ?? 100;
    let failures = 0;
    while (this.running) {
      let published = 0;
      this.notified = false;
      try {
        published = await this.publishBatch();
        failures = 0;
      } catch (error) {
        failures += 1;
        // Logged once per outage, not once per poll.
        if (failures === 1) this.options.logger.warn({ err: error }, 'outbox relay cannot publish; will retry');
      }
      if ((published > 0 || this.notified) && this.running) continue;
      const delay = failures > 0 ? Math.min(5_000, interval * 2 ** Math.min(failures, 6)) : interval;
      await this.pause.sleep(delay);
    }
  }
}
