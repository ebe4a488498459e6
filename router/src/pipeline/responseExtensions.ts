import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { QueryPlan } from '@apollo/query-planner';
import type { RouterContext } from '../routerContext';
import { withResponseExtensions, type ResponseExtensions } from './costExposure';
import type { GatewayQueryPlans } from './gatewayQueryPlans';
import { queryPlanExtension, type QueryPlanExposure } from './queryPlanExposure';

/**
 * What the request stages add to a response's `extensions`: what they know at admission (the
 * cost), and the query plan, which only the executor that plans the operation knows — it adds
 * `apolloQueryPlan` when `queryPlan` says the request asked (and, on a dry run, executes nothing).
 */
export interface ResponseAdditions {
  readonly extensions: ResponseExtensions;
  /** Apollo-Expose-Query-Plan, when asked for and EXPOSE_QUERY_PLAN allows it. */
  readonly queryPlan?: QueryPlanExposure;
  /** Cache-Control of the response if it has no errors (responseCacheControl); absent: no-store. */
  readonly cacheControl?: string;
}

export const NOTHING_ADDED: ResponseAdditions = { extensions: {} };

/** The extensions to add to the response of an operation run (or, dry, planned) by `plan`. */
export function extensionsWithPlan(additions: ResponseAdditions, plan: QueryPlan | undefined): ResponseExtensions {
  return additions.queryPlan && plan ? { ...additions.extensions, apolloQueryPlan: queryPlanExtension(plan) } : additions.extensions;
}

/**
 * What the stages add to a request they leave to Apollo Server (the @apollo/gateway path, GET
 * included): kept beside the request until its context is built. Only requests that asked for
 * something, or whose response may be cached, are kept; the entry goes with the request object.
 */
export class PendingResponseExtensions {
  private readonly pending = new WeakMap<IncomingMessage, ResponseAdditions>();

  set(request: IncomingMessage, additions: ResponseAdditions): void {
    if (Object.keys(additions.extensions).length > 0 || additions.queryPlan || additions.cacheControl) this.pending.set(request, additions);
  }

  of(request: IncomingMessage): ResponseAdditions | undefined {
    return this.pending.get(request);
  }
}

/**
 * Adds the stages' extensions to Apollo Server's response (the first payload of an incremental
 * one), and the plan the gateway made for a request that asked for it.
 */
export function responseExtensionsPlugin(plans: GatewayQueryPlans): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart({ contextValue }) {
      const additions = contextValue.responseAdditions;
      if (!additions) return undefined;
      return {
        async willSendResponse({ response }) {
          const added = extensionsWithPlan(additions, additions.queryPlan ? plans.of(contextValue) : undefined);
          const body = response.body;
          const result = body.kind === 'single' ? body.singleResult : body.initialResult;
          result.extensions = withResponseExtensions(result.extensions, added);
        },
      };
    },
  };
}
