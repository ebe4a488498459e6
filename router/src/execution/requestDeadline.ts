import type { ResponseError } from './responseError';

/**
 * A client request's overall deadline (ROUTER_REQUEST_TIMEOUT_MS). Subgraph calls get what is
 * left of it (capped by SUBGRAPH_TIMEOUT_MS), calls made after it are not sent, and calls in
 * flight when it passes are cut: the closed connection tells the subgraph to stop working too.
 * One timer per request, cleared when the request ends, so idle deadlines do not pile up.
 */
export class RequestDeadline {
  readonly at: number;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;

  constructor(timeoutMs: number) {
    this.at = Date.now() + timeoutMs;
    this.timer = setTimeout(() => this.controller.abort(), timeoutMs);
    this.timer.unref();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  remainingMs(): number {
    return this.at - Date.now();
  }

  dispose(): void {
    clearTimeout(this.timer);
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
