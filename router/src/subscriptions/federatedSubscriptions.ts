import { executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import type { FetchNode, QueryPlan } from '@apollo/query-planner';
import { boundedIterator, type BoundedIterator, type Logger, type Viewer } from '@booking/runtime';
import { execute, GraphQLError, type DocumentNode, type ExecutionResult, type GraphQLFieldResolver, type GraphQLFormattedError } from 'graphql';
import type { RouterContext } from '../routerContext';
import type { SupergraphPlanner } from '../supergraphPlanner';
import type { UpstreamConnections } from './upstreamConnections';

/** Most enriched events one subscriber may have waiting; past it the oldest are dropped. */
const SUBSCRIBER_BUFFER = 64;

/** The name the plan's first fetch runs under: it answers with the upstream event. */
const EVENT_SOURCE = '__subscription_event__';

export interface SubscriptionRequest {
  readonly document: DocumentNode;
  readonly source: string;
  readonly operationName?: string;
  readonly variables: Record<string, unknown>;
  readonly viewer: Viewer | null;
}

type Result = ExecutionResult;

interface SharedSubscription {
  readonly subscribers: Set<BoundedIterator<Result>>;
  close(): void;
}

/** Identical means same viewer (identity reaches the subgraphs), operation and variables. */
function shareKey(request: SubscriptionRequest): string {
  const viewer = request.viewer ? [request.viewer.userId, request.viewer.role, request.viewer.scopes.join(' ')] : null;
  return JSON.stringify([viewer, request.source, request.operationName ?? null, request.variables]);
}

function asError(error: GraphQLFormattedError): GraphQLError {
  return new GraphQLError(error.message, { path: error.path, extensions: error.extensions });
}

/**
 * Federated subscriptions on the gateway's own pieces: the planner's SubscriptionNode, one
 * upstream graphql-ws subscription for its primary fetch, and for every event a query plan
 * whose first fetch yields that event and whose other nodes are the subscription's `rest`,
 * run by the gateway's executeQueryPlan (entity fetches, merging, error paths, all its own).
 */
export class FederatedSubscriptions {
  private readonly streams = new Set<BoundedIterator<Result>>();
  private readonly shared = new Map<string, SharedSubscription>();

  constructor(
    private readonly planner: () => SupergraphPlanner,
    private readonly dataSources: ServiceMap,
    private readonly subgraphUrls: () => Readonly<Record<string, string>>,
    private readonly upstream: UpstreamConnections,
    private readonly logger: Logger,
    /** Most subscriptions this router process serves at once, over every transport. */
    private readonly maxOpen: number = 10_000,
  ) {}

  get openSubscriptions(): number {
    return this.streams.size;
  }

  /** Distinct upstream subscriptions (identical ones share one). */
  get upstreamSubscriptions(): number {
    return this.shared.size;
  }

  /** Ends every open stream with a coded error (e.g. the schema they were planned on changed). */
  endAll(message: string, code: string): void {
    for (const stream of [...this.streams]) {
      stream.push({ errors: [new GraphQLError(message, { extensions: { code } })] });
      stream.end();
    }
  }

  subscribe(request: SubscriptionRequest): AsyncIterableIterator<Result> {
    if (this.streams.size >= this.maxOpen) {
      throw new GraphQLError(`This router serves at most ${this.maxOpen} subscriptions at once; try again later`, {
        extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
      });
    }
    const key = shareKey(request);
    const shared = this.shared.get(key) ?? this.open(key, request);
    const stream: BoundedIterator<Result> = boundedIterator<Result>(SUBSCRIBER_BUFFER, () => {
      this.streams.delete(stream);
      shared.subscribers.delete(stream);
      // The last subscriber gone: end the upstream at once, not at the next event.
      if (shared.subscribers.size === 0) shared.close();
    });
    this.streams.add(stream);
    shared.subscribers.add(stream);
    return stream.iterator;
  }

  /**
   * One upstream subscription and one completion per event for every identical subscription
   * of one identity (same operation, variables, viewer): many tabs of one user cost one.
   */
  private open(key: string, request: SubscriptionRequest): SharedSubscription {
    const planner = this.planner();
    const plan = planner.plan(request.document, request.operationName);
    const url = this.subgraphUrls()[plan.primary.serviceName];
    if (!url) throw new GraphQLError(`No URL for subgraph "${plan.primary.serviceName}"`, { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    const connection = this.upstream.acquire(plan.primary.serviceName, url, request.viewer);
    const subscribers = new Set<BoundedIterator<Result>>();
    const broadcast = (result: Result) => subscribers.forEach((subscriber) => subscriber.push(result));
    const endAll = () => [...subscribers].forEach((subscriber) => subscriber.end());
    let chain = Promise.resolve();
    let closed = false;
    const variables = Object.fromEntries(
      (plan.primary.variableUsages ?? []).filter((name) => name in request.variables).map((name) => [name, request.variables[name]]),
    );
    const unsubscribe = connection.client.subscribe(
      { query: plan.primary.operation, variables, operationName: plan.primary.operationName },
      {
        next: (event) => {
          // One event at a time, in upstream order.
          chain = chain
            .then(async () => broadcast(await this.complete(planner, plan, event.data ?? null, event.errors, request)))
            .catch((error: unknown) => this.logger.error({ err: error }, 'subscription event could not be completed'));
        },
        error: (error) => {
          chain = chain.then(() => {
            broadcast({
              errors: [
                new GraphQLError(`Upstream subscription failed: ${describe(error)}`, {
                  extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: plan.primary.serviceName },
                }),
              ],
            });
            endAll();
          });
        },
        complete: () => {
          chain = chain.then(endAll);
        },
      },
    );
    const shared: SharedSubscription = {
      subscribers,
      close: () => {
        if (closed) return;
        closed = true;
        this.shared.delete(key);
        unsubscribe();
        connection.release();
      },
    };
    this.shared.set(key, shared);
    return shared;
  }

  private async complete(
    planner: SupergraphPlanner,
    plan: ReturnType<SupergraphPlanner['plan']>,
    data: Record<string, unknown> | null,
    errors: readonly GraphQLFormattedError[] | undefined,
    request: SubscriptionRequest,
  ): Promise<Result> {
    if (!data) return { errors: (errors ?? []).map(asError) };
    if (!plan.rest) {
      // Nothing to fetch from other subgraphs: shape the event with graphql-js alone, which
      // costs a fraction of a query-plan execution (this runs once per subscriber per event).
      const shaped = await execute({
        schema: planner.apiGraphQLSchema,
        document: request.document,
        operationName: request.operationName,
        variableValues: request.variables,
        rootValue: data,
        fieldResolver: byResponseKey,
      });
      return errors?.length ? { ...shaped, errors: [...errors.map(asError), ...(shaped.errors ?? [])] } : shaped;
    }
    const eventFetch: FetchNode = { ...plan.primary, serviceName: EVENT_SOURCE };
    const queryPlan: QueryPlan = { kind: 'QueryPlan', node: plan.rest ? { kind: 'Sequence', nodes: [eventFetch, plan.rest] } : eventFetch };
    const eventSource: GraphQLDataSource = { process: async () => ({ data, errors: errors?.map(asError) }) };
    const context: RouterContext = { viewer: request.viewer };
    // executeQueryPlan reads only the request, the context (for the data sources' identity
    // headers), the logger and metrics of a request context; this is that much of one.
    const requestContext = {
      request: { query: request.source, variables: request.variables, operationName: request.operationName },
      context,
      logger: this.logger,
      metrics: {},
    } as unknown as GatewayGraphQLRequestContext;
    return executeQueryPlan(
      queryPlan,
      { ...this.dataSources, [EVENT_SOURCE]: eventSource },
      requestContext,
      plan.operationContext,
      planner.supergraphSchema,
      planner.apiSchema,
    );
  }
}

/** The subgraph answered under the client's response keys (aliases included). */
const byResponseKey: GraphQLFieldResolver<unknown, unknown> = (source, _args, _context, info) =>
  source && typeof source === 'object' ? (source as Record<string, unknown>)[info.path.key as string] : undefined;

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object' && 'code' in error) return `socket closed (${String((error as { code: unknown }).code)})`;
  return 'unknown error';
}
