import type { IncomingMessage, ServerResponse } from 'node:http';
import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, tracer, tracingOn, type Span } from '@booking/runtime/dist/router';

const GRAPHQL_ROUTE = '/graphql';

/**
 * Opens the request's SERVER span, continuing the caller's `traceparent` (and its sampling
 * decision) when it sends one; undefined when tracing is off. The router makes this span itself
 * rather than through the HTTP instrumentation, and hands it on explicitly (the request log
 * record carries it to every stage, executor and subgraph call): the instrumentation and the
 * context manager it needs cost every request, sampled or not (see startTracing's `explicit`).
 *
 * An unsampled request gets a non-recording span: ids only, no attributes, nothing to end or
 * export, yet its context still goes out in subgraph calls' `traceparent` (flags 00), so the
 * subgraphs follow the router's decision instead of sampling on their own.
 */
export function openRequestSpan(request: IncomingMessage, response: ServerResponse): Span | undefined {
  if (!tracingOn()) return undefined;
  const method = request.method ?? 'GET';
  const parent = request.headers.traceparent ? propagation.extract(ROOT_CONTEXT, request.headers) : ROOT_CONTEXT;
  const span = tracer.startSpan(`${method} ${GRAPHQL_ROUTE}`, { kind: SpanKind.SERVER }, parent);
  if (!span.isRecording()) return span;
  // The HTTP server semantic conventions' attributes, as the HTTP instrumentation set them.
  span.setAttributes({
    'http.request.method': method,
    'http.route': GRAPHQL_ROUTE,
    'url.path': GRAPHQL_ROUTE,
    'url.scheme': 'http',
    'network.protocol.version': request.httpVersion,
    'client.address': request.socket.remoteAddress ?? '',
    'server.port': request.socket.localPort ?? 0,
  });
  const userAgent = request.headers['user-agent'];
  if (userAgent) span.setAttribute('user_agent.original', userAgent);
  response.once('close', () => {
    span.setAttribute('http.response.status_code', response.statusCode);
    if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    else if (!response.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR, message: 'client left before the response was complete' });
    span.end();
  });
  return span;
}

/**
 * Names the request's SERVER span after its operation, per the GraphQL semantic conventions:
 * `{graphql.operation.type} {graphql.operation.name}`, the type alone for an anonymous one.
 * Every transport reports its operation through the request log record, which calls this.
 * Nothing is built when the span does not record (tracing off, not sampled).
 */
export function describeOperation(span: Span | undefined, name: string | null, type: string): void {
  if (!span?.isRecording()) return;
  span.setAttribute('graphql.operation.type', type);
  if (name) span.setAttribute('graphql.operation.name', name);
  span.updateName(name ? `${type} ${name}` : type);
}
