import { recordFailure, traceExtensionsOf, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, tracer, type Context, type Span, type TraceExtensions } from '@booking/runtime/dist/router';

/**
 * Spans of a federated subscription: the upstream subscription to the owning subgraph (a CLIENT
 * span, from open to close, child of the request that opened it), and each event's completion
 * (resolving its other fields through entity fetches). A subscription may live for hours, so
 * each event's span starts a trace of its own, linked to the upstream span, instead of hanging
 * under a trace that never ends.
 */
export class UpstreamSubscriptionSpan {
  private readonly span: Span;
  /** Close, completion and failure may each try to end it; the first one does. */
  private ended = false;

  /** `parent`: the request that opened it (the root context over graphql-ws, which has none). */
  constructor(serviceName: string, operationName: string | undefined, parent: Context) {
    this.span = tracer.startSpan(`subscribe ${serviceName}`, { kind: SpanKind.CLIENT }, parent);
    if (this.span.isRecording()) {
      this.span.setAttributes({ 'subgraph.name': serviceName, 'graphql.operation.type': 'subscription' });
      if (operationName) this.span.setAttribute('graphql.operation.name', operationName);
    }
  }

  /**
   * Runs one event's completion in its own span, linked to this subscription's; `work` is given
   * that span's context, the parent of its entity fetches.
   */
  async event<T>(work: (trace: Context) => Promise<T>): Promise<T> {
    const link = this.span.spanContext();
    const span = tracer.startSpan(
      'subscription event',
      { kind: SpanKind.INTERNAL, root: true, links: trace.isSpanContextValid(link) ? [{ context: link }] : [] },
    );
    try {
      return await work(trace.setSpan(ROOT_CONTEXT, span));
    } catch (error) {
      if (span.isRecording()) span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  }

  /**
   * This span's context for the `subscribe` message's extensions: the subgraph's server span
   * continues it (a shared socket has no per-operation headers). Unsampled: ids with flags 00.
   */
  traceExtensions(): TraceExtensions | undefined {
    return traceExtensionsOf(this.span);
  }

  /** The upstream ended: closed by us, completed by the subgraph, or failed with `code`. */
  end(code?: string): void {
    if (this.ended) return;
    this.ended = true;
    if (code) recordFailure(this.span, code);
    this.span.end();
  }
}
