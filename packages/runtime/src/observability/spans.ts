import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';

/**
 * The project's own spans (GraphQL stages, subgraph fetches, events), through the OpenTelemetry
 * API only. With no SDK started the API hands out non-recording spans, so these cost a few
 * calls; attributes are built only when `span.isRecording()`.
 */
export const tracer = trace.getTracer('booking-supergraph');

export { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span };

/** The W3C `traceparent` of the active context, or null when nothing is traced here. */
export function activeTraceparent(): string | null {
  const span = trace.getActiveSpan();
  if (!span || !span.isRecording()) return null;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/** The remote context a stored or received `traceparent` names (the root context when there is none). */
export function contextOfTraceparent(traceparent: string | null | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/** Adds the active context's `traceparent` (and `tracestate`) to outgoing headers. */
export function injectTraceContext(headers: Record<string, string>, from: Context = context.active()): void {
  propagation.inject(from, headers);
}

/** Marks a span failed with the error's code, the way the GraphQL semantic conventions record it. */
export function recordFailure(span: Span, code: string, message?: string): void {
  if (!span.isRecording()) return;
  span.setStatus({ code: SpanStatusCode.ERROR, message: message ?? code });
  span.setAttribute('error.type', code);
}

/**
 * Runs `work` in a new span (a child of `parent`, the active context by default), ends it
 * when the work settles, and records a thrown error on it.
 */
export async function inSpan<T>(name: string, kind: SpanKind, work: (span: Span) => Promise<T>, parent: Context = context.active()): Promise<T> {
  const span = tracer.startSpan(name, { kind }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    if (span.isRecording()) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    }
    throw error;
  } finally {
    span.end();
  }
}

/** The same, for synchronous work (parse, validate, plan). */
export function inSpanSync<T>(name: string, work: (span: Span) => T): T {
  const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL });
  try {
    return work(span);
  } finally {
    span.end();
  }
}
