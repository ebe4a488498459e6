import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../logger';
import { handleInEventSpan } from './eventSpans';
import type { Database } from '../orm/database';
import { deadLetterKey, streamKey, type EventEnvelope, type StreamName } from './contracts';
import type { EventStreams, StreamEntry } from './eventStreams';
import { WakeableSleep } from './wakeableSleep';

export type EventHandler = (event: EventEnvelope, tx: EntityManager) => Promise<void>;

export interface StreamConsumerOptions {
  readonly database: Database;
  /** A connection of its own: a blocking read holds it. */
  readonly streams: EventStreams;
  readonly keyPrefix: string;
  readonly stream: StreamName;
  /** Consumer group, e.g. `billing`: every instance of a subgraph shares it, each event goes to one. */
  readonly group: string;
  /** This instance's name within the group. */
  readonly consumer: string;
  readonly handler: EventHandler;
  readonly logger: Logger;
  readonly maxAttempts?: number;
  readonly retryBaseMs?: number;
  readonly blockMs?: number;
  /** Called after an event was applied and committed (not for duplicates). */
  readonly onApplied?: (event: EventEnvelope) => void;
}

function fieldMap(fields: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let index = 0; index + 1 < fields.length; index += 2) map.set(fields[index] as string, fields[index + 1] as string);
  return map;
}

function parseEnvelope(stream: StreamName, fields: string[]): EventEnvelope {
  const map = fieldMap(fields);
  const id = map.get('id');
  const type = map.get('type');
  const payload = map.get('payload');
  if (!id || !type || !payload) throw new Error('not an event envelope (id, type and payload are required)');
  return {
    id,
    stream,
    type,
    version: Number(map.get('version') ?? '1'),
    occurredAt: map.get('occurredAt') ?? '',
    payload: JSON.parse(payload),
  } as EventEnvelope;
}

/**
 * Reads a stream as part of a consumer group. Each event is applied in one transaction with
 * an inbox row (so a redelivery is a no-op), acknowledged only after that commits, retried
 * with exponential backoff while it fails, and moved to a dead-letter stream, with the
 * error, after `maxAttempts`, so one poison event never blocks the rest.
 */
export class StreamConsumer {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly key: string;
  private readonly pause = new WakeableSleep();

  constructor(private readonly options: StreamConsumerOptions) {
    this.key = streamKey(options.keyPrefix, options.stream);
  }

  async start(): Promise<void> {
    // Redis may be down while this instance starts (a rollout racing Redis' own restart). The
    // instance then starts anyway, unready (/ready names Redis), and the loop creates the group
    // once Redis answers (NOGROUP), instead of crash-looping into an ever longer restart backoff.
    await this.ensureGroup().catch((error: unknown) =>
      this.options.logger.warn({ err: error, stream: this.key }, 'event consumer cannot create its group yet; will retry'),
    );
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.pause.wake();
    // Ends a blocking read at once instead of waiting out its timeout.
    const closed = this.options.streams.close();
    await this.loop;
    await closed;
  }

  private ensureGroup(): Promise<void> {
    return this.options.streams.ensureGroup(this.key, this.options.group);
  }

  private async run(): Promise<void> {
    let lastReclaim = 0;
    let failures = 0;
    while (this.running) {
      try {
        if (Date.now() - lastReclaim >= (this.options.retryBaseMs ?? 500) / 2) {
          lastReclaim = Date.now();
          await this.retryPending();
        }
        const entries = await this.options.streams.readGroup(this.key, this.options.group, this.options.consumer, 50, this.options.blockMs ?? 500);
        for (const [id, fields] of entries) await this.apply(id, fields, 1);
        failures = 0;
      } catch (error) {
        if (!this.running) break;
        failures += 1;
        if (failures === 1) this.options.logger.warn({ err: error, stream: this.key }, 'event consumer cannot read; will retry');
        // The group disappears if Redis lost its data; recreate it once Redis answers again.
        if (String((error as Error).message).includes('NOGROUP')) await this.ensureGroup().catch(() => undefined);
        await this.pause.sleep(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  /** Failed deliveries stay pending; each is retried once it has been idle for its backoff. */
  private async retryPending(): Promise<void> {
    const base = this.options.retryBaseMs ?? 500;
    const pending = await this.options.streams.pending(this.key, this.options.group, base, 100);
    for (const { id, idleMs, deliveries } of pending) {
      if (idleMs < base * 2 ** Math.max(0, deliveries - 1)) continue;
      const claimed: StreamEntry[] = await this.options.streams.claim(this.key, this.options.group, this.options.consumer, base, id);
      for (const [claimedId, fields] of claimed) await this.apply(claimedId, fields, deliveries + 1);
    }
  }

  private async apply(messageId: string, fields: string[], attempt: number): Promise<void> {
    let event: EventEnvelope;
    try {
      event = parseEnvelope(this.options.stream, fields);
    } catch (error) {
      await this.deadLetter(messageId, fields, error as Error, attempt);
      return;
    }
    try {
      // In the trace of the transaction that wrote the event (when it was traced), so the
      // handler's statements and the events it records join that trace.
      const traceparent = fieldMap(fields).get('traceparent');
      const applied = await handleInEventSpan(traceparent, this.key, this.options.group, event, attempt, () => this.applyOnce(event));
      await this.options.streams.ack(this.key, this.options.group, messageId);
      if (applied) this.options.onApplied?.(event);
    } catch (error) {
      const maxAttempts = this.options.maxAttempts ?? 5;
      if (attempt >= maxAttempts) {
        await this.deadLetter(messageId, fields, error as Error, attempt);
        return;
      }
      this.options.logger.warn({ err: error, eventId: event.id, type: event.type, attempt }, 'event handler failed; will retry');
    }
  }

  /** Applies the event in one transaction with its inbox row; false when it was applied before. */
  private applyOnce(event: EventEnvelope): Promise<boolean> {
    return this.options.database.em.fork().transactional(async (tx) => {
      const inserted = await tx.execute<{ affectedRows: number }>(
        'insert into inbox_events (consumer, event_id) values (?, ?) on conflict do nothing',
        [this.options.group, event.id],
        'run',
      );
      if (inserted.affectedRows === 0) return false;
      await this.options.handler(event, tx);
      return true;
    });
  }

  private async deadLetter(messageId: string, fields: string[], error: Error, attempts: number): Promise<void> {
    this.options.logger.error({ err: error, messageId, attempts }, 'event moved to the dead-letter stream');
    await this.options.streams.append(deadLetterKey(this.options.keyPrefix, this.options.stream, this.options.group), [
      [...fields, 'error', error.message, 'attempts', String(attempts), 'sourceId', messageId],
    ]);
    await this.options.streams.ack(this.key, this.options.group, messageId);
  }
}
