import type { QueryPlanFieldNode } from '@apollo/query-planner';

/**
 * A required field the data holds under one key (`name`, or Apollo's `alias`) and the subgraph
 * is sent under another: Hive's planner fetches a field required twice with different arguments
 * under aliases of its own and sends each as the field the subgraph declared. Apollo's plans
 * never rename (their `requires` come from field sets, which have no aliases).
 */
export interface RenamedRequiredField extends QueryPlanFieldNode {
  readonly sentAs: string;
}

/** The key a required field has in the representation sent to the subgraph. */
export function representationKey(selection: QueryPlanFieldNode | RenamedRequiredField): string {
  return 'sentAs' in selection ? selection.sentAs : (selection.alias ?? selection.name);
}
