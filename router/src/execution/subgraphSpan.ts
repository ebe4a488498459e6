import { recordFailure, SpanKind, trace, tracer, injectTraceContext, type Context, type Span } from '@booking/runtime/dist/router';

/**
 * One CLIENT span per subgraph fetch, child of the request's span (`parent`, passed explicitly:
 * the router has no context manager), named `subgraph <name>` with
 * the HTTP client attributes, the subgraph's name (`subgraph.name`, as Apollo Router names it)
 * and, for an entity fetch, how many entities it asked for. Its context goes out in the call's
 * `traceparent`, which the subgraph's server span continues.
 */
export class SubgraphSpan {
  /** Undefined for a call of an unsampled request (see the constructor). */
  private readonly span: Span | undefined;

  constructor(serviceName: string, url: string, entityCount: number | undefined, private readonly parent: Context) {
    const request = trace.getSpan(parent);
    // A call of a request that is not sampled would get a non-recording span: nothing to
    // record or export, only fresh ids. The request's own context goes out instead (the same
    // trace id and "not sampled" flags, which is all the subgraph reads), which spares the
    // SDK's span start, id generation and sampler on most calls at a low sampling ratio.
    if (request && !request.isRecording()) {
      this.span = undefined;
      return;
    }
    this.span = tracer.startSpan(`subgraph ${serviceName}`, { kind: SpanKind.CLIENT }, parent);
    if (this.span.isRecording()) {
      const target = new URL(url);
      this.span.setAttributes({
        'subgraph.name': serviceName,
        'http.request.method': 'POST',
        'url.full': url,
        'server.address': target.hostname,
        'server.port': Number(target.port || (target.protocol === 'https:' ? 443 : 80)),
      });
      if (entityCount !== undefined) this.span.setAttribute('subgraph.entity_count', entityCount);
    }
  }

  /**
   * The call's headers with this span's `traceparent` (the request's, for an unsampled one).
   * Also when the trace is not sampled (its flags say so), so the subgraph follows the router's
   * decision instead of making its own; the same headers object when there is no trace at all.
   */
  headers<H extends Readonly<Record<string, string>>>(headers: H): H {
    const context = this.span ? trace.setSpan(this.parent, this.span) : this.parent;
    const spanContext = trace.getSpanContext(context);
    if (!spanContext || !trace.isSpanContextValid(spanContext)) return headers;
    const traced: Record<string, string> = { ...headers };
    injectTraceContext(traced, context);
    return traced as H;
  }

  /** The subgraph answered with `status`; `code` when the fetch failed as a whole. */
  end(status: number | undefined, code?: string): void {
    if (!this.span) return;
    if (this.span.isRecording()) {
      if (status !== undefined) this.span.setAttribute('http.response.status_code', status);
      if (code) recordFailure(this.span, code);
    }
    this.span.end();
  }
}
