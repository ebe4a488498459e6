import { executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import type { FetchNode, QueryPlan } from '@apollo/query-planner';
import type { Logger, Viewer } from '@booking/runtime';
import { GraphQLError, type DocumentNode, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { RouterContext } from '../routerContext';
import type { SubscriptionPlanner } from './subscriptionPlanner';
import type { UpstreamConnections } from './upstreamConnections';

/** Most enriched events one subscriber may have waiting; past it the oldest are dropped. */
export const SUBSCRIBER_BUFFER = 64;

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
  private open = 0;

  constructor(
    private readonly planner: SubscriptionPlanner,
    private readonly dataSources: ServiceMap,
    private readonly subgraphUrls: Readonly<Record<string, string>>,
    private readonly upstream: UpstreamConnections,
    private readonly logger: Logger,
  ) {}

  get openSubscriptions(): number {
    return this.open;
  }

  subscribe(request: SubscriptionRequest): AsyncIterableIterator<Result> {
    const plan = this.planner.plan(request.document, request.operationName, request.source);
    const url = this.subgraphUrls[plan.primary.serviceName];
    if (!url) throw new GraphQLError(`No URL for subgraph "${plan.primary.serviceName}"`, { extensions: { code: 'INTERNAL_SERVER_ERROR' } });

    const queue: Result[] = [];
    let waiting: ((result: IteratorResult<Result>) => void) | undefined;
    let done = false;
    let chain = Promise.resolve();
    const deliver = (result: Result) => {
      if (done) return;
      if (waiting) {
        const resolve = waiting;
        waiting = undefined;
        resolve({ value: result, done: false });
        return;
      }
      if (queue.length >= SUBSCRIBER_BUFFER) queue.shift();
      queue.push(result);
    };

    const connection = this.upstream.acquire(url, request.viewer);
    this.open += 1;
    let unsubscribe: () => void = () => undefined;
    const finish = async (): Promise<IteratorResult<Result>> => {
      if (!done) {
        done = true;
        this.open -= 1;
        // At once, not at the next event: a quiet stream must not keep its upstream open.
        unsubscribe();
        connection.release();
        waiting?.({ value: undefined, done: true });
        waiting = undefined;
      }
      return { value: undefined, done: true };
    };

    const variables = Object.fromEntries(
      (plan.primary.variableUsages ?? []).filter((name) => name in request.variables).map((name) => [name, request.variables[name]]),
    );
    unsubscribe = connection.client.subscribe(
      { query: plan.primary.operation, variables, operationName: plan.primary.operationName },
      {
        next: (event) => {
          // One event at a time, in upstream order.
          chain = chain
            .then(async () => deliver(await this.complete(plan, event.data ?? null, event.errors, request)))
            .catch((error: unknown) => this.logger.error({ err: error }, 'subscription event could not be completed'));
        },
        error: (error) => {
          chain = chain.then(() => {
            deliver({
              errors: [
                new GraphQLError(`Upstream subscription failed: ${describe(error)}`, {
                  extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: plan.primary.serviceName },
                }),
              ],
            });
            void finish();
          });
        },
        complete: () => {
          chain = chain.then(() => void finish());
        },
      },
    );

    const iterator: AsyncIterableIterator<Result> = {
      next: () => {
        if (queue.length > 0) return Promise.resolve({ value: queue.shift() as Result, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (waiting = resolve));
      },
      return: finish,
      throw: async (error: unknown) => {
        await finish();
        throw error;
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  private async complete(
    plan: ReturnType<SubscriptionPlanner['plan']>,
    data: Record<string, unknown> | null,
    errors: readonly GraphQLFormattedError[] | undefined,
    request: SubscriptionRequest,
  ): Promise<Result> {
    if (!data) return { errors: (errors ?? []).map(asError) };
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
      this.planner.supergraphSchema,
      this.planner.apiSchema,
    );
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object' && 'code' in error) return `socket closed (${String((error as { code: unknown }).code)})`;
  return 'unknown error';
}
