import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { CachePolicy } from '../execution/cacheControlHints';
import type { RouterContext } from '../routerContext';
import type { ResponseAdditions } from './responseExtensions';

/** Kept by no cache, browser or shared. */
export const NO_STORE = 'no-store';

/**
 * The Cache-Control a response gets when it carries no errors, decided at admission from the
 * operation's `@cacheControl` policy (worked out once per operation text by the gate) and the
 * request. Only a query whose every field is PUBLIC with a max age, asked without credentials,
 * may be kept, and then by any cache (`public`: a CDN in front of GET requests). Anything
 * PRIVATE is `no-store` rather than Apollo's `private`: one user's data stays out of every cache,
 * the browser's too. A request with an Authorization header is `no-store` whatever the policy:
 * its result may depend on who asks (fields removed by access rules, subgraphs answering by
 * role), and a `public` answer to it may be served by a shared cache to others (RFC 9111 §3.5).
 */
export function cacheControlOnSuccess(policy: CachePolicy | undefined, request: IncomingMessage): string {
  if (!policy || policy.maxAge <= 0 || policy.scope === 'PRIVATE' || request.headers.authorization !== undefined) return NO_STORE;
  return `max-age=${policy.maxAge}, public`;
}

/** The header a response gets: like Apollo Server, one with errors (a partial result too) is never kept. */
export function responseCacheControl(additions: ResponseAdditions, hasErrors: boolean): string {
  return hasErrors ? NO_STORE : (additions.cacheControl ?? NO_STORE);
}

/**
 * Cache-Control on what Apollo Server answers (the @apollo/gateway path): the
 * admission's header, or `no-store` for a response with errors, an incremental one (a later
 * part could still fail) and a request the stages did not admit. It replaces Apollo Server's
 * own cache-control plugin (disabled in the router), which sees no hints through a gateway.
 */
export function responseCacheControlPlugin(): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart({ contextValue }) {
      const additions = contextValue.responseAdditions;
      return {
        async willSendResponse({ response }) {
          const single = response.body.kind === 'single' ? response.body.singleResult : undefined;
          const cacheable = single !== undefined && !single.errors && additions !== undefined;
          response.http.headers.set('cache-control', cacheable ? responseCacheControl(additions, false) : NO_STORE);
        },
      };
    },
  };
}
