import { propagation, ROOT_CONTEXT, SpanKind, trace, tracer, type Context, type Span } from './spans';
import { recordFailure } from './spans';
import { tracingOn } from './tracing';

/**
 * A subscription over graphql-ws has no HTTP request of its own: many operations share one
 * socket (the router pools its upstream sockets per identity). So the router sends each
 * operation's trace context in its `subscribe` message's `extensions`, under the W3C header
 * names (`traceparent`, `tracestate`), and the subgraph's server span continues it, as it
 * continues an HTTP call's `traceparent` header.
 */
export type TraceExtensions = Readonly<Partial<Record<'traceparent' | 'tracestate', string>>>;

/** The trace context of `span` as `subscribe` extensions; undefined when there is nothing to continue. */
export function traceExtensionsOf(span: Span): TraceExtensions | undefined {
  if (!trace.isSpanContextValid(span.spanContext())) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
  return carrier.traceparent ? carrier : undefined;
}

/** The remote context a `subscribe` message's extensions carry (the root context when none). */
function contextOfExtensions(extensions: Readonly<Record<string, unknown>> | null | undefined): Context {
  const carrier: Record<string, string> = {};
  for (const name of ['traceparent', 'tracestate'] as const) {
    const value = extensions?.[name];
    if (typeof value === 'string') carrier[name] = value;
  }
  return carrier.traceparent ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
}

/**
 * A subgraph's SERVER span for one graphql-ws subscription operation, from subscribe to its
 * stream's end, named per the GraphQL semantic conventions (`subscription <name>`). Undefined
 * with tracing off: nothing is made at all.
 */
export class SubscriptionServerSpan {
  private ended = false;

  private constructor(private readonly span: Span) {}

  static open(operationName: string | null | undefined, extensions: Readonly<Record<string, unknown>> | null | undefined): SubscriptionServerSpan | undefined {
    if (!tracingOn()) return undefined;
    const span = tracer.startSpan(operationName ? `subscription ${operationName}` : 'subscription', { kind: SpanKind.SERVER }, contextOfExtensions(extensions));
    if (span.isRecording()) {
      span.setAttribute('graphql.operation.type', 'subscription');
      if (operationName) span.setAttribute('graphql.operation.name', operationName);
    }
    return new SubscriptionServerSpan(span);
  }

  /** The context work of this subscription runs in (its database reads are the span's children). */
  get context(): Context {
    return trace.setSpan(ROOT_CONTEXT, this.span);
  }

  /** The stream ended: completed, left by the client, or failed with `code`. */
  end(code?: string): void {
    if (this.ended) return;
    this.ended = true;
    if (code) recordFailure(this.span, code);
    this.span.end();
  }
}
