import { contextOfTraceparent, inSpan, propagation, SpanKind, SpanStatusCode, trace, tracer } from '../observability/spans';
import type { EventEnvelope } from './contracts';

/**
 * Spans of the events' journey, per the messaging semantic conventions: the relay's `send`
 * (a PRODUCER span in the trace the outbox row kept) and each consumer's `process` (a CONSUMER
 * span, child of the message's context). So a saga (createBooking → booking.held → invoice
 * issued → …) is one trace across subgraphs, though Redis Streams sits between them.
 */
const MESSAGING_SYSTEM = 'redis_streams';

export interface PublishSpan {
  /** The context the message carries: this span's. */
  readonly traceparent: string;
  end(error?: Error): void;
}

export function eventPublishSpan(traceparent: string, streamKey: string, eventId: string, type: string): PublishSpan {
  const parent = contextOfTraceparent(traceparent);
  const span = tracer.startSpan(`send ${streamKey}`, { kind: SpanKind.PRODUCER }, parent);
  if (span.isRecording()) {
    span.setAttributes({
      'messaging.system': MESSAGING_SYSTEM,
      'messaging.operation.type': 'send',
      'messaging.destination.name': streamKey,
      'messaging.message.id': eventId,
      'event.type': type,
    });
  }
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(parent, span), carrier);
  return {
    // An unsampled trace still travels on (flags 00), so consumers do not start a new one.
    traceparent: carrier.traceparent ?? traceparent,
    end(error) {
      if (error && span.isRecording()) {
        span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      }
      span.end();
    },
  };
}

/**
 * Runs a consumer's handling of one event in a CONSUMER span, child of the context the message
 * carried (a new trace when it carried none), with that span active for the handler's work.
 */
export async function handleInEventSpan<T>(
  traceparent: string | undefined,
  streamKey: string,
  group: string,
  event: EventEnvelope,
  attempt: number,
  work: () => Promise<T>,
): Promise<T> {
  return inSpan(
    `process ${streamKey}`,
    SpanKind.CONSUMER,
    async (span) => {
      if (span.isRecording()) {
        span.setAttributes({
          'messaging.system': MESSAGING_SYSTEM,
          'messaging.operation.type': 'process',
          'messaging.destination.name': streamKey,
          'messaging.consumer.group.name': group,
          'messaging.message.id': event.id,
          'event.type': event.type,
          'event.attempt': attempt,
        });
      }
      const result = await work();
      if (result === false && span.isRecording()) span.setAttribute('event.duplicate', true);
      return result;
    },
    contextOfTraceparent(traceparent),
  );
}
