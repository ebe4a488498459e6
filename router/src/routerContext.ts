import type { Context, Viewer } from '@booking/runtime/dist/router';
import type { ResponseAdditions } from './pipeline/responseExtensions';
import type { RequestLogRecord } from './pipeline/requestLog';

/** Per-request context of the router: who is asking, as verified from the bearer token. */
export interface RouterContext {
  readonly viewer: Viewer | null;
  /** When the client's request must be answered (epoch ms); subscriptions' events have none. */
  readonly deadline?: number;
  /** The request's log line (operation, error codes, subgraph 4xx answers, masked errors, the router's own failure). */
  readonly requestLog?: Pick<RequestLogRecord, 'operation' | 'errors' | 'subgraphRefused' | 'subgraphErrorMasked' | 'failed' | 'traceContext'>;
  /**
   * The parent of the subgraph calls' spans: the request's trace context, or a subscription
   * event's. Passed explicitly: the router has no context manager (see requestSpan).
   */
  readonly traceContext?: Context;
  /** What the request stages add to the response's `extensions` (the cost, the query plan: when asked for). */
  readonly responseAdditions?: ResponseAdditions;
}
