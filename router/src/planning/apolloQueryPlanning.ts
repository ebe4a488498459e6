import { operationFromDocument, type Schema } from '@apollo/federation-internals';
import type { QueryPlan, QueryPlanner } from '@apollo/query-planner';
import type { DocumentNode } from 'graphql';
import type { QueryPlanning } from './queryPlanning';

/** Apollo's planner (@apollo/query-planner), the default: its plans are the executor's own shapes. */
export class ApolloQueryPlanning implements QueryPlanning {
  readonly name = 'apollo';

  constructor(
    private readonly planner: QueryPlanner,
    private readonly apiSchema: Schema,
  ) {}

  planQuery(document: DocumentNode, operationName: string | undefined): QueryPlan {
    return this.planner.buildQueryPlan(operationFromDocument(this.apiSchema, document, { operationName }));
  }
}
