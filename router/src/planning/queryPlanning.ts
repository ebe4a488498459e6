import type { QueryPlan } from '@apollo/query-planner';
import type { DocumentNode } from 'graphql';

/** QUERY_PLANNER: which planner plans the queries and mutations the router's executor runs. */
export type QueryPlannerName = 'apollo' | 'hive';

/**
 * A query planner as the router's executor sees it: an operation in, a plan in Apollo's node
 * shapes (Sequence, Parallel, Flatten, Fetch, Condition, Defer) out. Plans are cached by the
 * caller with what it derives from them.
 */
export interface QueryPlanning {
  readonly name: QueryPlannerName;
  planQuery(document: DocumentNode, operationName: string | undefined): QueryPlan;
}

/** Told once per kind of construct when Hive's plan gave way to Apollo's (a log line). */
export type PlannerFallbackListener = (construct: string, operationName: string | undefined, detail?: string) => void;

export interface QueryPlannerChoice {
  readonly name: QueryPlannerName;
  readonly onFallback?: PlannerFallbackListener;
}
