import { trace, type Span } from '@opentelemetry/api';

/**
 * A span's ids as log fields, so a log line leads to its trace and back; none for an unsampled
 * span, whose ids no backend holds (naming them would send on-call to nothing).
 */
export function traceLogFields(span: Span | undefined): Record<string, string> {
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  if ((traceFlags & 1) === 0) return {};
  return { trace_id: traceId, span_id: spanId };
}

/**
 * A pino mixin: the active span's ids on every line written while serving a request or
 * handling an event. The router has no active span (it passes its spans explicitly): its
 * request log record adds the same fields itself.
 */
export function traceIdsMixin(): Record<string, string> {
  return traceLogFields(trace.getActiveSpan());
}
