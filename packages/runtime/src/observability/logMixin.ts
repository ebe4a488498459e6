import { trace } from '@opentelemetry/api';

/**
 * A pino mixin: the active span's ids on every line written while serving a request or
 * handling an event, so a log line leads to its trace and back.
 */
export function traceIdsMixin(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  // Unsampled requests have ids no backend holds: naming them would send on-call to nothing.
  if ((traceFlags & 1) === 0) return {};
  return { trace_id: traceId, span_id: spanId };
}
