import { buildOperationContext } from '@apollo/gateway';
import { operationFromDocument, Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, type FetchNode, type PlanNode, type QueryPlan } from '@apollo/query-planner';
import { GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';

export interface SubscriptionPlan {
  /** The fetch that opens the upstream subscription on the owning subgraph. */
  readonly primary: FetchNode;
  /** What completes each event: entity fetches to the other subgraphs. */
  readonly rest?: PlanNode;
  readonly operationContext: ReturnType<typeof buildOperationContext>;
}

/**
 * Apollo's query planner over the current supergraph, for the router's own executor (queries
 * and mutations) and for subscriptions, which it plans (a SubscriptionNode with a primary
 * fetch and the rest) but @apollo/gateway refuses to execute.
 */
export class SupergraphPlanner {
  readonly supergraphSchema: GraphQLSchema;
  readonly apiSchema: Schema;
  readonly apiGraphQLSchema: GraphQLSchema;
  private readonly planner: QueryPlanner;
  private readonly cache = new Map<string, QueryPlan>();

  constructor(supergraphSdl: string) {
    const supergraph = Supergraph.build(supergraphSdl);
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.apiSchema = supergraph.apiSchema();
    this.apiGraphQLSchema = this.apiSchema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(supergraph);
  }

  /** A plan for any operation, uncached: callers cache it with what they derived from it. */
  planQuery(document: DocumentNode, operationName: string | undefined): QueryPlan {
    return this.planner.buildQueryPlan(operationFromDocument(this.apiSchema, document, { operationName }));
  }

  plan(document: DocumentNode, operationName: string | undefined, cacheKey: string): SubscriptionPlan {
    let queryPlan = this.cache.get(cacheKey);
    if (!queryPlan) {
      const operation = operationFromDocument(this.apiSchema, document, { operationName });
      queryPlan = this.planner.buildQueryPlan(operation);
      // Plans depend on the (authorized) operation text only, so they are shared by everyone.
      if (this.cache.size > 1_000) this.cache.clear();
      this.cache.set(cacheKey, queryPlan);
    }
    const node = queryPlan.node;
    if (!node || node.kind !== 'Subscription') throw new GraphQLError('Not a subscription operation', { extensions: { code: 'BAD_REQUEST' } });
    return {
      primary: node.primary,
      rest: node.rest,
      operationContext: buildOperationContext({ schema: this.apiGraphQLSchema, operationDocument: document, operationName }),
    };
  }
}
