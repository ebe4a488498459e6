import { context, recordFailure, SpanKind, trace, tracer, injectTraceContext, type Span } from '@booking/runtime';

/**
 * One CLIENT span per subgraph fetch, child of the request's span, named `subgraph <name>` with
 * the HTTP client attributes, the subgraph's name (`subgraph.name`, as Apollo Router names it)
 * and, for an entity fetch, how many entities it asked for. Its context goes out in the call's
 * `traceparent`, which the subgraph's server span continues.
 */
export class SubgraphSpan {
  private readonly span: Span;

  constructor(serviceName: string, url: string, entityCount: number | undefined) {
    this.span = tracer.startSpan(`subgraph ${serviceName}`, { kind: SpanKind.CLIENT });
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
   * The call's headers with this span's `traceparent`. Also when the trace is not sampled (its
   * flags say so), so the subgraph follows the router's decision instead of making its own; the
   * same headers object when there is no trace at all.
   */
  headers<H extends Readonly<Record<string, string>>>(headers: H): H {
    if (!trace.isSpanContextValid(this.span.spanContext())) return headers;
    const traced: Record<string, string> = { ...headers };
    injectTraceContext(traced, trace.setSpan(context.active(), this.span));
    return traced as H;
  }

  /** The subgraph answered with `status`; `code` when the fetch failed as a whole. */
  end(status: number | undefined, code?: string): void {
    if (this.span.isRecording()) {
      if (status !== undefined) this.span.setAttribute('http.response.status_code', status);
      if (code) recordFailure(this.span, code);
    }
    this.span.end();
  }
}
