import type { IncomingMessage } from 'node:http';
import Negotiator from 'negotiator';

/**
 * What /graphql offers a GET, in Apollo Server 4's order (its MEDIA_TYPES as its `prefersHTML`
 * lists them): a page is asked for only when the Accept header prefers text/html over all the
 * GraphQL result types.
 */
const OFFERED = [
  'application/json; charset=utf-8',
  'application/graphql-response+json; charset=utf-8',
  'multipart/mixed; deferSpec=20220824',
  'multipart/mixed; incrementalSpec=v0.2',
  'multipart/mixed',
  'text/html',
];

/**
 * Whether a request asks for a page (a browser opening /graphql) rather than a GraphQL result.
 * Decided exactly as Apollo Server decides it (the same negotiator library over the same
 * offers), because the two must agree: a GET the stages took for a page and let through, which
 * Apollo Server then executed (`Accept: application/json, text/html` prefers JSON), would skip
 * every operation stage (limits, rate limits, the safelist). Naming text/html is not asking for
 * it: preferring it is.
 */
export function asksForPage(request: IncomingMessage): boolean {
  const accept = request.headers.accept;
  if (request.method !== 'GET' || !accept) return false;
  return new Negotiator({ headers: { accept } }).mediaType(OFFERED) === 'text/html';
}
