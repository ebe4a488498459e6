import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpRefusal } from './graphqlHttpServer';

/** How long a refused caller is told to wait: overload passes in seconds, or the autoscaler acts. */
const RETRY_AFTER_SECONDS = 1;

/** The answer past the cap: HTTP 503, `Retry-After` and SERVICE_OVERLOADED, naming the cap. */
export function overloadedRefusal(limit: number, server: string): HttpRefusal {
  return {
    status: 503,
    code: 'SERVICE_OVERLOADED',
    message: `This ${server} is serving its most requests at once (${limit}); retry shortly`,
    extensions: { limit },
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
  };
}

/**
 * Load shedding for one server process (the router, each subgraph): at most `maxConcurrent`
 * GraphQL requests in flight; past that a request is refused at once, before its body is read,
 * instead of queueing without bound (each queued request holds its body, its socket and its
 * database or subgraph calls: memory and latency grow until everything times out). A refusal
 * costs a comparison; an admitted request one increment, and one decrement when its response
 * closes, or earlier when `admitted` hands the release to someone else (the router gives a
 * multipart or SSE subscription's slot back when its stream starts).
 */
export function concurrencyCap(
  maxConcurrent: number,
  server: string,
  admitted?: (request: IncomingMessage, release: () => void) => void,
): (request: IncomingMessage, response: ServerResponse) => HttpRefusal | undefined {
  const refusal = overloadedRefusal(maxConcurrent, server);
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
    admitted?.(request, release);
    return undefined;
  };
}
