import type { IncomingMessage } from 'node:http';
import { prettyFormatQueryPlan, type PlanNode, type QueryPlan, type SubscriptionNode } from '@apollo/query-planner';

/**
 * The request header that asks for the query plan, as Apollo Router names it (its
 * `experimental.expose_query_plan` plugin) and Apollo Sandbox / Studio send it when "query
 * plan" is ticked: `true` runs the operation and adds its plan; `dry-run` only plans it.
 */
export const EXPOSE_QUERY_PLAN_HEADER = 'apollo-expose-query-plan';

/** What a request asked for: the plan beside the data, or the plan alone (nothing executed). */
export type QueryPlanExposure = 'expose' | 'dry-run';

/**
 * `extensions.apolloQueryPlan`, in the shape Apollo Router sends and Sandbox reads: the plan as
 * an object (`@apollo/query-planner`'s nodes, which Router's JSON mirrors) and as text in the
 * planner's own pretty format.
 */
export interface QueryPlanExtension {
  readonly object: { readonly kind: 'QueryPlan'; readonly node: PlanNode | SubscriptionNode | null };
  readonly text: string;
}

/** The exposure a header value asks for: `true` or `dry-run` (any case); anything else asks for nothing. */
export function queryPlanExposureOf(value: unknown): QueryPlanExposure | undefined {
  if (typeof value !== 'string') return undefined;
  const asked = value.trim().toLowerCase();
  return asked === 'true' ? 'expose' : asked === 'dry-run' ? 'dry-run' : undefined;
}

/**
 * The stage that reads the header. With EXPOSE_QUERY_PLAN off (the production profile's
 * default) the header is ignored, as Apollo Router ignores it with the plugin off: the request
 * runs as if it had not asked, with no error that would tell a prober the feature exists.
 */
export function queryPlanExposureStage(allowed: boolean): (request: IncomingMessage) => QueryPlanExposure | undefined {
  if (!allowed) return () => undefined;
  return (request) => queryPlanExposureOf(request.headers[EXPOSE_QUERY_PLAN_HEADER]);
}

/** Plans are cached and shared by requests: each is formatted once. */
const formatted = new WeakMap<QueryPlan, QueryPlanExtension>();

export function queryPlanExtension(plan: QueryPlan): QueryPlanExtension {
  let extension = formatted.get(plan);
  if (!extension) {
    extension = { object: { kind: 'QueryPlan', node: plan.node ?? null }, text: prettyFormatQueryPlan(plan) };
    formatted.set(plan, extension);
  }
  return extension;
}
