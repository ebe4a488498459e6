import type { Span } from '@booking/runtime';

/**
 * Names the request's SERVER span (opened by the HTTP instrumentation, continuing the caller's
 * `traceparent`; given its route by the HTTP server) after its operation, per the GraphQL
 * semantic conventions: `{graphql.operation.type} {graphql.operation.name}`, the type alone for
 * an anonymous one. Every transport reports its operation through the request log record,
 * which calls this. Nothing is built when the span does not record (tracing off, not sampled).
 */
export function describeOperation(span: Span | undefined, name: string | null, type: string): void {
  if (!span?.isRecording()) return;
  span.setAttribute('graphql.operation.type', type);
  if (name) span.setAttribute('graphql.operation.name', name);
  span.updateName(name ? `${type} ${name}` : type);
}
