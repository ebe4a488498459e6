import type { IncomingMessage } from 'node:http';
import type { QueryPlanExtension } from './queryPlanExposure';

/**
 * The request header that asks for the operation's cost in the response. Named after Apollo
 * Router's `Apollo-Expose-Query-Plan: true` (an opt-in header, `true` its value, the answer in
 * `extensions`), under the vendor-neutral `graphql-` prefix our other client headers use
 * (`graphql-client-name`): it is not an Apollo header, and Apollo Router has no such one (it
 * reports cost only to telemetry).
 */
export const EXPOSE_COST_HEADER = 'graphql-expose-cost';

/** `extensions.cost` of an answered operation. */
export interface CostExtension {
  /** The static estimate (@cost/@listSize), for this request's variables; null past 2^53 or unbounded. */
  readonly estimated: number | null;
  /** MAX_OPERATION_COST, or null when demand control is off. */
  readonly limit: number | null;
  /**
   * Present only when rate limiting is on: the units taken from the caller's budget of this
   * operation's kind (query, mutation or subscription); 0 when Redis did not answer and the
   * policy let the operation through uncounted.
   */
  readonly charged?: number;
}

/** Whether a header (or graphql-ws connection parameter) value asks for the cost: `true`, any case. */
export function asksForCostBy(value: unknown): boolean {
  return typeof value === 'string' && value.trim().toLowerCase() === 'true';
}

/** Whether the request asks for `extensions.cost` (`graphql-expose-cost: true`). */
export function asksForCost(request: IncomingMessage): boolean {
  return asksForCostBy(request.headers[EXPOSE_COST_HEADER]);
}

export function costExtension(estimated: number, maxCost: number, charged: number | undefined): CostExtension {
  return {
    estimated: Number.isFinite(estimated) ? estimated : null,
    limit: Number.isFinite(maxCost) ? maxCost : null,
    ...(charged === undefined ? {} : { charged }),
  };
}

/** What the request stages add to the response's `extensions` (only what was asked for). */
export type ResponseExtensions = Readonly<{ cost?: CostExtension; apolloQueryPlan?: QueryPlanExtension }>;

/** A response's extensions with the stages' ones added (theirs win: they describe this request). */
export function withResponseExtensions<T extends Record<string, unknown>>(
  extensions: T | undefined,
  added: ResponseExtensions | undefined,
): T | ResponseExtensions | undefined {
  if (!added || Object.keys(added).length === 0) return extensions;
  return { ...(extensions ?? {}), ...added };
}
