import type { ResponseError } from './responseError';

/**
 * A client request's overall deadline (ROUTER_REQUEST_TIMEOUT_MS). Subgraph calls get what is
 * left of it (capped by SUBGRAPH_TIMEOUT_MS) as their own undici timeouts, so a call in flight
 * when it passes is cut (the closed connection tells the subgraph to stop working too) and a
 * call made after it is not sent. A plain value: no timer or AbortController per request, which
 * the router's hot path would pay for on every request that never comes near its deadline.
 */
export class RequestDeadline {
  readonly at: number;

  constructor(timeoutMs: number, now: number = Date.now()) {
    this.at = now + timeoutMs;
  }

  remainingMs(): number {
    return this.at - Date.now();
  }
}

/** Apollo Router's code for its `traffic_shaping.router.timeout`. */
export const REQUEST_TIMEOUT = 'REQUEST_TIMEOUT';

export function requestTimeoutError(serviceName: string, wasSent: boolean): ResponseError {
  return {
    message: wasSent
      ? `Request timed out (ROUTER_REQUEST_TIMEOUT_MS) while waiting for subgraph "${serviceName}"`
      : `Request timed out (ROUTER_REQUEST_TIMEOUT_MS) before subgraph "${serviceName}" was called`,
    extensions: { code: REQUEST_TIMEOUT, serviceName },
  };
}
