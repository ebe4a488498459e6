import type { GraphQLDataSource, ServiceMap } from '@apollo/gateway';
import { gatewayModule } from '../gatewayModule';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import type { FetchNode, QueryPlan } from '@apollo/query-planner';
import { boundedIterator, ROOT_CONTEXT, type BoundedIterator, type Context, type Logger, type Viewer } from '@booking/runtime/dist/router';
import { UpstreamSubscriptionSpan } from './subscriptionSpans';
import { execute, getOperationAST, GraphQLError, type DocumentNode, type ExecutionResult, type GraphQLFieldResolver, type GraphQLFormattedError } from 'graphql';
import type { RouterContext } from '../routerContext';
import type { SupergraphPlanner } from '../supergraphPlanner';
import { SUBSCRIBER_BUFFER, slowSubscriberError } from './backpressure';
import { SubscriptionQuota, type SubscriptionLimits } from './subscriptionQuota';
import type { UpstreamConnections } from './upstreamConnections';
import { ResumableUpstream, type ResubscribePolicy } from './resumableUpstream';
import type { SubgraphErrorPolicy } from '../pipeline/subgraphErrorPolicy';
import type { RouterMetrics } from '../observability/routerMetrics';

/** The name the plan's first fetch runs under: it answers with the upstream event. */
const EVENT_SOURCE = '__subscription_event__';

export interface SubscriptionRequest {
  readonly document: DocumentNode;
  readonly source: string;
  readonly operationName?: string;
  readonly variables: Record<string, unknown>;
  readonly viewer: Viewer | null;
  /** The client's address (see clientAddressOf): anonymous subscriptions count against it. */
  readonly clientAddress: string;
  /** The log of the request that opened it: subgraph 4xx answers and masked errors while completing events go on its line. */
  readonly log?: RouterContext['requestLog'];
}

type Result = ExecutionResult;

interface SharedSubscription {
  readonly subscribers: Set<BoundedIterator<Result>>;
  readonly upstream: ResumableUpstream;
  close(): void;
}

/** Identical means same viewer (identity reaches the subgraphs), operation and variables. */
function shareKey(request: SubscriptionRequest): string {
  const viewer = request.viewer ? [request.viewer.userId, request.viewer.role, request.viewer.scopes.join(' ')] : null;
  return JSON.stringify([viewer, request.source, request.operationName ?? null, request.variables]);
}

/** A subgraph's error as the router passes it on: with a code, whatever the subgraph sent. */
function asError(error: GraphQLFormattedError): GraphQLError {
  return new GraphQLError(error.message, { path: error.path, extensions: { code: 'INTERNAL_SERVER_ERROR', ...error.extensions } });
}

/** Every error of an event carries `extensions.code`, as on every other path. */
function withCodes(result: Result): Result {
  if (!result.errors?.some((error) => typeof error.extensions?.code !== 'string')) return result;
  return {
    ...result,
    errors: result.errors.map((error) =>
      typeof error.extensions?.code === 'string'
        ? error
        : new GraphQLError(error.message, {
            nodes: error.nodes,
            path: error.path,
            originalError: error.originalError,
            extensions: { ...error.extensions, code: 'INTERNAL_SERVER_ERROR' },
          }),
    ),
  };
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
  private readonly quota: SubscriptionQuota;

  constructor(
    private readonly planner: () => SupergraphPlanner,
    /** The gateway's data sources of the current supergraph's subgraphs, made on first need. */
    private readonly dataSources: () => ServiceMap,
    private readonly subgraphUrls: () => Readonly<Record<string, string>>,
    private readonly upstream: UpstreamConnections,
    private readonly logger: Logger,
    limits: SubscriptionLimits,
    /** SUBGRAPH_ERRORS for the upstream subscription's events and refusals (entity fetches: the data sources). */
    private readonly errorPolicy: SubgraphErrorPolicy,
    /** How long a dropped upstream subscription is resubscribed before its clients hear SUBGRAPH_UNAVAILABLE. */
    private readonly resubscribe: ResubscribePolicy,
    /** Where events lost to a subscriber are counted (slow consumers: by their transports). */
    private readonly metrics?: RouterMetrics,
  ) {
    this.quota = new SubscriptionQuota(limits);
  }

  get openSubscriptions(): number {
    return this.streams.size;
  }

  /** Distinct upstream subscriptions (identical ones share one). */
  get upstreamSubscriptions(): number {
    return this.shared.size;
  }

  /** Ends every open stream with a coded error (e.g. the schema they were planned on changed). */
  endAll(message: string, code: string): void {
    for (const stream of [...this.streams]) stream.end({ errors: [new GraphQLError(message, { extensions: { code } })] });
  }

  /** Shutting down: subscriptions waiting to resubscribe end now (see ResumableUpstream.abandonResubscribing). */
  abandonResubscribing(): void {
    for (const shared of [...this.shared.values()]) shared.upstream.abandonResubscribing();
  }

  /**
   * Opens one subscriber's stream, or says (a coded error) why not: over a cap, or it cannot be
   * planned. A stream whose consumer falls more than SUBSCRIBER_BUFFER events behind ends with
   * SLOW_CONSUMER rather than lose events silently, and `onSlow` tells the transport at once.
   */
  subscribe(request: SubscriptionRequest, onSlow?: () => void): AsyncIterableIterator<Result> | GraphQLError {
    const slot = this.quota.take(request.viewer, request.clientAddress);
    if (slot instanceof GraphQLError) return slot;
    const key = shareKey(request);
    let shared = this.shared.get(key);
    if (!shared) {
      try {
        shared = this.open(key, request);
      } catch (error) {
        slot.release();
        if (error instanceof GraphQLError && typeof error.extensions.code === 'string') return error;
        // On the request's line when there is one (it then goes out at error level).
        if (request.log) request.log.failed(error);
        else this.logger.error({ err: error }, 'subscription could not be opened');
        return new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      }
    }
    const owner = shared;
    const stream: BoundedIterator<Result> = boundedIterator<Result>(
      SUBSCRIBER_BUFFER,
      () => {
        slot.release();
        this.streams.delete(stream);
        owner.subscribers.delete(stream);
        // The last subscriber gone: end the upstream at once, not at the next event.
        if (owner.subscribers.size === 0) owner.close();
      },
      {
        onOverflow: () => {
          // The event that did not fit; the stream ends behind what is queued.
          this.metrics?.eventDropped('subscriber_buffer_full');
          stream.end({ errors: [slowSubscriberError(SUBSCRIBER_BUFFER)] });
          onSlow?.();
        },
      },
    );
    this.streams.add(stream);
    owner.subscribers.add(stream);
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
    const span = new UpstreamSubscriptionSpan(plan.primary.serviceName, getOperationAST(request.document, request.operationName)?.name?.value, request.log?.traceContext ?? ROOT_CONTEXT);
    const subscribers = new Set<BoundedIterator<Result>>();
    const broadcast = (result: Result) => subscribers.forEach((subscriber) => subscriber.push(result));
    const endAll = (last?: Result) => [...subscribers].forEach((subscriber) => subscriber.end(last));
    let chain = Promise.resolve();
    let closed = false;
    const variables = Object.fromEntries(
      (plan.primary.variableUsages ?? []).filter((name) => name in request.variables).map((name) => [name, request.variables[name]]),
    );
    const failWith = (errors: GraphQLError[]) => {
      span.end(String(errors[0]?.extensions.code ?? 'SUBGRAPH_UNAVAILABLE'));
      chain = chain.then(() => endAll({ errors }));
    };
    const upstream = new ResumableUpstream(
      connection,
      plan.primary.serviceName,
      { query: plan.primary.operation, variables, operationName: plan.primary.operationName, extensions: span.traceExtensions() },
      {
        next: (event) => {
          const errors = event.errors?.length ? this.errorPolicy.apply(plan.primary.serviceName, event.errors, request.log) : undefined;
          // One event at a time, in upstream order.
          chain = chain
            .then(async () => broadcast(withCodes(await span.event((trace) => this.complete(planner, plan, event.data ?? null, errors, request, trace)))))
            .catch((error: unknown) => {
              // Never dropped silently: subscribers learn an event went missing.
              this.logger.error({ err: error }, 'subscription event could not be completed');
              this.metrics?.eventDropped('completion_failed', subscribers.size);
              broadcast({ errors: [new GraphQLError('Internal server error: an event could not be completed', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })] });
            });
        },
        // The subgraph refusing the subscription (or its resumption: the entity is gone, the
        // viewer may no longer watch it): its codes pass through.
        refused: (refusal) =>
          failWith(
            this.errorPolicy
              .apply(plan.primary.serviceName, refusal, request.log)
              .map((refused) => asError({ ...refused, extensions: { ...refused.extensions, serviceName: plan.primary.serviceName } })),
          ),
        unavailable: (reason) =>
          failWith([
            new GraphQLError(`Upstream subscription failed: ${reason}`, {
              extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: plan.primary.serviceName },
            }),
          ]),
        complete: () => {
          span.end();
          chain = chain.then(() => endAll());
        },
      },
      this.resubscribe,
      this.logger,
      this.metrics,
    );
    const shared: SharedSubscription = {
      subscribers,
      upstream,
      close: () => {
        if (closed) return;
        closed = true;
        span.end();
        this.shared.delete(key);
        upstream.close();
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
    trace: Context,
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
    const context: RouterContext = { viewer: request.viewer, requestLog: request.log, traceContext: trace };
    // executeQueryPlan reads only the request, the context (for the data sources' identity
    // headers), the logger and metrics of a request context; this is that much of one.
    const requestContext = {
      request: { query: request.source, variables: request.variables, operationName: request.operationName },
      context,
      logger: this.logger,
      metrics: {},
    } as unknown as GatewayGraphQLRequestContext;
    return gatewayModule().executeQueryPlan(
      queryPlan,
      { ...this.dataSources(), [EVENT_SOURCE]: eventSource },
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
