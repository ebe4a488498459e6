import type { HttpRefusal } from '@booking/runtime';
import type { RequestLog } from './requestLog';
import type { RequestStage } from './requestPipeline';

/** How long a refused client is told to wait: overload passes in seconds, or the autoscaler acts. */
const RETRY_AFTER_SECONDS = 1;

function overloaded(limit: number): HttpRefusal {
  return {
    status: 503,
    code: 'SERVICE_OVERLOADED',
    message: `This router is serving its most requests at once (${limit}); retry shortly`,
    extensions: { limit },
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
  };
}

/**
 * Load shedding, a stage of the request pipeline (after CORS, so a browser can read the
 * refusal): at most `maxConcurrent` /graphql requests in flight in this router; past that a
 * request is refused at once with HTTP 503, `Retry-After` and `SERVICE_OVERLOADED`, before its
 * body is read, instead of queueing without bound (each queued request holds its body, its
 * socket and, soon, its subgraph calls: memory and latency grow until everything times out).
 * A refusal costs a comparison; an admitted request one increment, and one decrement when its
 * response closes. A multipart or SSE subscription gives its slot back when its stream starts:
 * it may stay open for hours and has quotas of its own (MAX_SUBSCRIPTIONS…).
 */
export function loadShedding(maxConcurrent: number, requestLog: RequestLog): RequestStage {
  const refusal = overloaded(maxConcurrent);
  let inFlight = 0;
  return (request, response) => {
    if (inFlight >= maxConcurrent) return refusal;
    inFlight += 1;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      inFlight -= 1;
    };
    response.once('close', release);
    requestLog.of(request).onStreaming(release);
    return undefined;
  };
}
