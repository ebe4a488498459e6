import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { activeTraceparent } from '../observability/spans';
import type { EventEnvelope, EventPayload, EventType, StreamName } from './contracts';

/**
 * Records an event in the outbox of the transaction `em` belongs to: it is published if and
 * only if the state change it describes commits. With tracing on, the row keeps the active
 * span's `traceparent`, so whoever handles the event joins this trace.
 */
export async function recordEvent<S extends StreamName, T extends EventType<S>>(
  em: EntityManager,
  stream: S,
  type: T,
  payload: EventPayload<S, T>,
  version = 1,
): Promise<EventEnvelope<S, T>> {
  const envelope: EventEnvelope<S, T> = { id: randomUUID(), stream, type, version, occurredAt: new Date().toISOString(), payload };
  await em.execute(
    'insert into outbox_events (id, stream, type, version, payload, occurred_at, traceparent) values (?, ?, ?, ?, ?, ?, ?)',
    [envelope.id, stream, type, version, JSON.stringify(payload), envelope.occurredAt, activeTraceparent()],
  );
  return envelope;
}
