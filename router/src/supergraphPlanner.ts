import { createHash } from 'node:crypto';
// The module itself, not the package's index: it needs only what the planner loads anyway (see gatewayModule.ts).
import { buildOperationContext } from '@apollo/gateway/dist/operationContext';
import { operationFromDocument, Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, type FetchNode, type PlanNode, type QueryPlan } from '@apollo/query-planner';
import { GraphQLError, print, type DocumentNode, type GraphQLSchema } from 'graphql';
import { ByteBoundedCache } from './byteBoundedCache';
import { ApolloQueryPlanning } from './planning/apolloQueryPlanning';
import { argumentRequiringFields, ArgumentRequiresPlanning } from './planning/argumentRequiresPlanning';
import { HiveQueryPlanning } from './planning/hiveQueryPlanning';
import type { QueryPlannerChoice, QueryPlanning } from './planning/queryPlanning';
import { checkScalarInputs } from './scalarInputChecks';

/** Subscription plans kept, by their estimated heap (their JSON, about twice over). */
const SUBSCRIPTION_PLAN_CACHE_BYTES = 8 * 1024 * 1024;

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
  /** Custom scalars of the API schema whose input the router cannot check (see checkScalarInputs). */
  readonly uncheckedScalars: readonly string[];
  private readonly planner: QueryPlanner;
  /** QUERY_PLANNER: what plans queries and mutations for the router's executor. */
  readonly queryPlanning: QueryPlanning;
  private readonly cache = new ByteBoundedCache<QueryPlan>(SUBSCRIPTION_PLAN_CACHE_BYTES, 'subscription_plan');

  constructor(supergraphSdl: string, choice: QueryPlannerChoice = { name: 'apollo' }) {
    const supergraph = Supergraph.build(supergraphSdl);
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.apiSchema = supergraph.apiSchema();
    // @defer is part of the API as Apollo Router serves it: operations using it validate here
    // and run on the router's executor (the gateway's schema, without it, answers only the rest).
    this.apiGraphQLSchema = this.apiSchema.toGraphQLJSSchema({ includeDefer: true });
    this.uncheckedScalars = checkScalarInputs(this.apiGraphQLSchema);
    // Plans carry Defer nodes for @defer (run by execution/deferredDelivery); the gateway keeps
    // its own planner, without them, for what it serves.
    this.planner = new QueryPlanner(supergraph, { incrementalDelivery: { enableDefer: true } });
    const apollo = new ApolloQueryPlanning(this.planner, this.apiSchema);
    // Subscriptions stay with Apollo's planner (plan() below): the Hive addon's subscription
    // plan has no `rest` for completing each event.
    this.queryPlanning = choice.name === 'hive' ? new HiveQueryPlanning(supergraphSdl, apollo, choice.onFallback) : apolloPlanning(supergraphSdl, apollo, choice);
  }

  /** A plan for a query or mutation, uncached: callers cache it with what they derived from it. */
  planQuery(document: DocumentNode, operationName: string | undefined): QueryPlan {
    return this.queryPlanning.planQuery(document, operationName);
  }

  /**
   * Plans depend on the (authorized) document only, so they are shared by everyone whose
   * viewer leaves the same document: the key is a digest of that document as printed (never
   * the client's text, which differs in comments and is the same for viewers who see less).
   */
  plan(document: DocumentNode, operationName: string | undefined): SubscriptionPlan {
    const cacheKey = createHash('sha256')
      .update(JSON.stringify(operationName ?? null))
      .update(print(document))
      .digest('base64');
    let queryPlan = this.cache.get(cacheKey);
    if (!queryPlan) {
      const operation = operationFromDocument(this.apiSchema, document, { operationName });
      // The planner refuses it with a plain Error; the client is told in words and a code.
      if (operation.rootKind === 'subscription' && operation.selectionSet.hasDefer()) {
        throw new GraphQLError('@defer is not supported in subscriptions: ask for the fields without it', { extensions: { code: 'DEFER_IN_SUBSCRIPTION' } });
      }
      queryPlan = this.planner.buildQueryPlan(operation);
      this.cache.set(cacheKey, queryPlan, JSON.stringify(queryPlan).length * 2);
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

/** Apollo's planner, but Hive's for operations that select a field whose `@requires` passes arguments (see ArgumentRequiresPlanning). */
function apolloPlanning(supergraphSdl: string, apollo: QueryPlanning, choice: QueryPlannerChoice): QueryPlanning {
  const requiringFields = argumentRequiringFields(supergraphSdl);
  return requiringFields.size > 0 ? new ArgumentRequiresPlanning(supergraphSdl, requiringFields, apollo, choice.onFallback) : apollo;
}
