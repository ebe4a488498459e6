import type { IncomingMessage, ServerResponse } from 'node:http';
import { routerCallSigner, type Logger } from '@booking/runtime/dist/router';
import type { TokenVerifier } from '../auth/tokenVerifier';
import type { SupergraphCaches } from './entityCache';
import type { SupergraphState } from '../liveSupergraph';
import type { GraphQLObjectType } from 'graphql';
import { answerDeferred, deferredRootOf } from './deferredDelivery';
import { rootIntrospectionData } from './introspection';
import { PlanExecution, type PlanRuntime } from './planExecutor';
import type { EntityBatching } from './entityFetchBatch';
import { PreparedOperations } from './preparedOperation';
import { RequestDeadline } from './requestDeadline';
import { responseErrorOf, type ResponseError } from './responseError';
import { valueCompletionErrorsBeside } from './valueCompletionErrors';
import { withResponseExtensions, type ResponseExtensions } from '../pipeline/costExposure';
import { extensionsWithPlan, NOTHING_ADDED, type ResponseAdditions } from '../pipeline/responseExtensions';
import { responseCacheControl } from '../pipeline/responseCacheControl';
import type { OperationText } from '../pipeline/operationText';
import type { RequestLog } from '../pipeline/requestLog';
import type { GatewayReason, RouterMetrics } from '../observability/routerMetrics';
import type { SubgraphErrorPolicy } from '../pipeline/subgraphErrorPolicy';
import { signedHeaders, type SubgraphClient } from './subgraphClient';
import { createBeforeExecution } from './beforeExecution';
import { sendNotAcceptable } from './requestErrors';
import { endWithJson } from './jsonResponseBody';
import { singleResultMediaType } from '../pipeline/singleResultMediaType';
import type { GatewayHandoffs } from '../pipeline/gatewayHandoffs';

export interface RouterExecutorOptions {
  readonly current: () => SupergraphState;
  readonly verifyToken: TokenVerifier;
  readonly client: SubgraphClient;
  readonly signingSecret: string;
  readonly logger: Logger;
  /** Where the operation and its outcome are recorded for the request's log line. */
  readonly requestLog: RequestLog;
  /** ROUTER_REQUEST_TIMEOUT_MS: the most one request may take across all its subgraph calls (a client may ask for less). */
  readonly requestTimeoutMs: number;
  /** Byte budget of the prepared operations (OPERATION_CACHE_MAX_BYTES). */
  readonly preparedOperationBytes: number;
  /** SUBGRAPH_ERRORS: what clients may see of subgraphs' errors. */
  readonly subgraphErrors: SubgraphErrorPolicy;
  /** Where the prepared-operation and plan caches' hits and misses are counted. */
  readonly metrics?: RouterMetrics;
  /** ENTITY_CACHE=on: the entity cache for a supergraph (undefined when it has no hints). */
  readonly entityCache?: (state: SupergraphState) => SupergraphCaches | undefined;
  /** INTROSPECTION: whether `__schema` and `__type` are answered (refused as Apollo Server refuses them when not). */
  readonly introspection: boolean;
  /** GRAPHQL_DEBUG_STACKTRACES: stack traces in the errors of refused requests. */
  readonly debugStacktraces: boolean;
  /** Where a request left to @apollo/gateway is noted with why (router_gateway_requests_total). */
  readonly handoffs?: GatewayHandoffs;
  /** SUBGRAPH_BATCHING: when a request's entity fetches to one subgraph share a call. */
  readonly entityBatching: EntityBatching;
}

interface GraphQLRequestBody {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
  extensions?: Record<string, unknown> | null;
}

function isPlainRequest(body: unknown): body is GraphQLRequestBody {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const candidate = body as Partial<GraphQLRequestBody>;
  if (typeof candidate.query !== 'string') return false;
  if (candidate.operationName != null && typeof candidate.operationName !== 'string') return false;
  if (candidate.variables != null && (typeof candidate.variables !== 'object' || Array.isArray(candidate.variables))) return false;
  if (candidate.extensions != null && (typeof candidate.extensions !== 'object' || Array.isArray(candidate.extensions))) return false;
  // The persisted-query stage resolved any persisted query (and removed its extension) before.
  return !(candidate.extensions && 'persistedQuery' in candidate.extensions);
}

/**
 * The response body: errors (fetch and access) first, then data, then value-completion problems
 * and what the stages add (endWithJson writes it as JSON and a newline, as Apollo Server does).
 */
function responseBody(data: unknown, errors: readonly ResponseError[], valueCompletion: readonly ResponseError[], added: ResponseExtensions): object {
  const extensions = withResponseExtensions(valueCompletion.length > 0 ? { valueCompletion } : undefined, added);
  return errors.length > 0 ? { errors, data, extensions } : { data, extensions };
}

/** From this many list items a result is serialised in pieces (see endWithJson). */
const PIECES_FROM_LIST_ITEMS = 64;

/** What plan execution runs with, for one request on one supergraph. */
function planRuntimeOf(options: RouterExecutorOptions, state: SupergraphState): PlanRuntime {
  return {
    client: options.client,
    subgraphUrls: state.subgraphUrls,
    supergraphSchema: state.planner.supergraphSchema,
    subgraphErrors: options.subgraphErrors,
    entityBatching: options.entityBatching,
    ...cachesOf(options.entityCache?.(state)),
  };
}

/** The plan runtime's caches (none with ENTITY_CACHE off or a supergraph without hints). */
function cachesOf(caches: SupergraphCaches | undefined): { entityCache?: SupergraphCaches['entities']; rootFieldCache?: SupergraphCaches['rootFields'] } {
  return caches ? { entityCache: caches.entities, rootFieldCache: caches.rootFields } : {};
}

/**
 * The router's own executor for queries and mutations: prepared operations, the gateway's
 * planner, plan execution over undici, and precompiled result shaping. It answers refused
 * requests (bad token, syntax, validation, variables, a subscription over plain HTTP) as
 * Apollo Server words them and introspection from the API schema (beforeExecution.ts). `handle`
 * answers false (before anything is sent anywhere) for what it leaves to the Apollo Server +
 * gateway pipeline, noting why (router_gateway_requests_total): introspection in a root
 * fragment or beside @defer. @defer runs here too (deferredDelivery.ts), and so do plans with
 * data rewrites for @interfaceObject and @context (fetchRewrites.ts, contextArguments.ts);
 * introspection beside data too (the shaper puts graphql-js' answers in place).
 */
export function createRouterExecutor(options: RouterExecutorOptions) {
  const reported = new WeakSet<object>();
  const preparedLookups = options.metrics?.cacheLookups('prepared_operation');
  const planLookups = options.metrics?.cacheLookups('query_plan');
  let prepared: PreparedOperations | undefined;
  const preparedFor = (state: SupergraphState) => {
    if (prepared?.state !== state) prepared = new PreparedOperations(state, options.preparedOperationBytes, preparedLookups);
    return prepared;
  };

  const beforeExecution = createBeforeExecution({ ...options, planLookups, contentTypeFor: singleResultMediaType });
  const leave = (request: IncomingMessage, reason: GatewayReason): false => {
    options.handoffs?.note(request, reason);
    return false;
  };

  return async (request: IncomingMessage, response: ServerResponse, body: unknown, additions: ResponseAdditions = NOTHING_ADDED, text?: OperationText): Promise<boolean> => {
    if (!isPlainRequest(body)) return leave(request, 'other');
    const state = options.current();
    const record = options.requestLog.of(request);
    // Refusals and introspection are answered there, as Apollo Server answers them.
    const before = await beforeExecution(request, response, body, additions, text, state, preparedFor(state));
    if (before.kind === 'answered') return true;
    if (before.kind === 'gateway') return leave(request, before.reason);
    const { operation, viewer, timeoutMs, variables, contentType } = before;
    const rawVariables = body.variables ?? {};
    const executable = operation.executableFor(state, viewer, planLookups, record.traceContext);
    if (executable.kind === 'gateway') {
      // Once per operation and kind of viewer: on-call can see what runs on the slower path.
      if (!reported.has(executable)) {
        reported.add(executable);
        options.logger.info({ operationName: body.operationName ?? null, reason: executable.reason }, 'operation left to @apollo/gateway');
      }
      return leave(request, 'plan');
    }

    record.operation(operation.operation.name?.value, operation.operation.operation);
    let payload: object;
    let inPieces = false;
    // Only a run whose response has no errors may be kept (the admission decided for how long).
    let hasErrors = true;
    const deferred = executable.kind === 'run' && additions.queryPlan !== 'dry-run' ? deferredRootOf(executable.plan.node, variables) : undefined;
    if (deferred && executable.kind === 'run') {
      // @defer: parts over multipart/mixed (see deferredDelivery), or Apollo Router's 406.
      const deadline = new RequestDeadline(timeoutMs);
      const runtime = planRuntimeOf(options, state);
      const executionRequest = { variables: rawVariables, headers: signedHeaders(routerCallSigner(options.signingSecret, viewer)), deadline, log: record, viewer, retriable: operation.operation.operation === 'query' };
      await answerDeferred(request, response, {
        plan: executable.plan,
        root: deferred,
        schema: state.planner.apiGraphQLSchema,
        rootType: state.planner.apiGraphQLSchema.getRootType(operation.operation.operation) as GraphQLObjectType,
        variables,
        extensions: extensionsWithPlan(additions, executable.plan),
        execution: (data) => new PlanExecution(runtime, executionRequest, variables, data),
        accessErrors: (data) => (executable.denials.empty ? [] : executable.denials.errorsIn(data).map(responseErrorOf)),
        recordErrors: (errors) => record.errors(errors),
        failed: (error) => record.failed(error),
      });
      return true;
    }
    if (contentType === undefined) {
      // Not deferred, and no single-result type the client takes: refused before it runs
      // (Apollo Server runs it and then answers the same 406).
      record.errors(sendNotAcceptable(response, { debugStacktraces: options.debugStacktraces }));
      return true;
    }
    if (executable.kind === 'denied') {
      record.errors(executable.errors);
      payload = responseBody(null, executable.errors, [], additions.extensions);
    } else if (additions.queryPlan === 'dry-run') {
      // Apollo-Expose-Query-Plan: dry-run: the plan alone, as Apollo Router answers it (no data),
      // with the fields this viewer may not see reported as a run would report them.
      const accessErrors = executable.denials.empty ? [] : executable.denials.errorsIn(null).map(responseErrorOf);
      record.errors(accessErrors);
      const extensions = extensionsWithPlan(additions, executable.plan);
      payload = accessErrors.length > 0 ? { errors: accessErrors, extensions } : { extensions };
    } else {
      const added = extensionsWithPlan(additions, executable.plan);
      const deadline = new RequestDeadline(timeoutMs);
      try {
        const execution = new PlanExecution(
          planRuntimeOf(options, state),
          { variables: rawVariables, headers: signedHeaders(routerCallSigner(options.signingSecret, viewer)), deadline, log: record, viewer, retriable: operation.operation.operation === 'query' },
          variables,
        );
        await execution.run(executable.plan.node);
        if (executable.introspection) {
          // `__schema`/`__type` beside the data: answered from the API schema, copied in place by the shaper.
          const introspected = rootIntrospectionData(state.planner.apiGraphQLSchema, executable.introspection, rawVariables);
          if (!introspected) throw new Error('introspection beside the data reported errors');
          Object.assign(execution.data, introspected);
        }
        const shaped = executable.shaper.shape(execution.data, variables);
        const accessErrors = executable.denials.empty ? [] : executable.denials.errorsIn(shaped.data).map(responseErrorOf);
        const errors = [...accessErrors, ...execution.errors];
        // Unlike the gateway (which drops them all once any fetch failed): every shaping problem
        // not already explained by a fetch or access error at or above its path is reported.
        const valueCompletion = valueCompletionErrorsBeside(errors, shaped.errors);
        record.errors(errors);
        record.errors(valueCompletion);
        hasErrors = errors.length > 0 || valueCompletion.length > 0;
        payload = responseBody(shaped.data, errors, valueCompletion, added);
        inPieces = shaped.listItems >= PIECES_FROM_LIST_ITEMS;
      } catch (error) {
        // Never retried through the gateway: a mutation may already have run. The error and its
        // stack go on the request's line (at error level), not on a line of their own.
        record.failed(error);
        payload = responseBody(null, [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }], [], added);
      }
    }
    endWithJson(response, 200, { contentType, cacheControl: responseCacheControl(additions, hasErrors) }, payload, inPieces);
    return true;
  };
}
