import type { FederatedSubscriptions } from './federatedSubscriptions';

/**
 * What a multipart or SSE subscription client gets as its stream's final part when the router
 * shuts down: a GraphQL error coded SERVICE_RESTARTING, in the transport's own framing (a
 * multipart `payload` with the error then `--graphql--`; an SSE `next` then `complete`), so it
 * knows the end is no failure of its operation and subscribes again, reaching another instance
 * behind the load balancer. graphql-ws clients learn the same from the 1012 close instead.
 */
export const SERVICE_RESTARTING = 'SERVICE_RESTARTING';

const RESTART_MESSAGE = 'The router is restarting: subscribe again (another instance will answer)';

/** Ends every open subscription stream with the SERVICE_RESTARTING final part. */
export function endStreamsForRestart(subscriptions: Pick<FederatedSubscriptions, 'endAll'>): void {
  subscriptions.endAll(RESTART_MESSAGE, SERVICE_RESTARTING);
}
