import type { IncomingHttpHeaders } from 'node:http';
import { GraphQLError } from 'graphql';
import type { ResponseError } from './responseError';

/**
 * A client's own deadline for its request, in milliseconds (as Envoy's
 * `x-envoy-upstream-rq-timeout-ms`): a page that gives up after 2 s need not keep the router and
 * the subgraphs working for 30. It only ever lowers ROUTER_REQUEST_TIMEOUT_MS; a larger value
 * is the operator's maximum.
 */
export const REQUEST_TIMEOUT_HEADER = 'x-request-timeout-ms';

/** The request's timeout, or the error for a header that is not a whole number of milliseconds. */
export function requestTimeoutMsOf(headers: IncomingHttpHeaders, maximumMs: number): number | ResponseError {
  const asked = headers[REQUEST_TIMEOUT_HEADER];
  // The common case: no header, no work.
  if (asked === undefined) return maximumMs;
  const value = typeof asked === 'string' && /^\d{1,15}$/.test(asked.trim()) ? Number(asked.trim()) : 0;
  if (value < 1) {
    return {
      message: `The ${REQUEST_TIMEOUT_HEADER} header must be a whole number of milliseconds, 1 or more`,
      extensions: { code: 'BAD_REQUEST' },
    };
  }
  return Math.min(value, maximumMs);
}

/** The refusal of a malformed header, as the request's context raises it: 400, before the operation is read. */
export function requestTimeoutRefusal(error: ResponseError): GraphQLError {
  return new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status: 400 } } });
}
