import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Viewer } from '@booking/runtime/dist/router';
import { sessionFromAuthorization, type TokenVerifier } from '../auth/tokenVerifier';
import type { SupergraphState } from '../liveSupergraph';
import type { CacheLookups, GatewayReason } from '../observability/routerMetrics';
import type { OperationText } from '../pipeline/operationText';
import type { RequestLog } from '../pipeline/requestLog';
import { responseCacheControl } from '../pipeline/responseCacheControl';
import { APPLICATION_JSON } from '../pipeline/singleResultMediaType';
import type { ResponseAdditions } from '../pipeline/responseExtensions';
import { requestTimeoutMsOf, requestTimeoutRefusal } from './clientRequestTimeout';
import { introspectionPayload, isIntrospectionOnly, mentionsIntrospection } from './introspection';
import type { PreparedOperation, PreparedOperations } from './preparedOperation';
import {
  contextRefusalAnswer,
  documentErrorAnswer,
  operationResolutionAnswer,
  sendRequestError,
  sendNotAcceptable,
  subscriptionOverPlainHttpAnswer,
  variablesErrorAnswer,
  type RequestErrorAnswer,
} from './requestErrors';

export interface BeforeExecutionOptions {
  readonly verifyToken: TokenVerifier;
  readonly requestLog: RequestLog;
  /** ROUTER_REQUEST_TIMEOUT_MS: the most a client's x-request-timeout-ms may ask for. */
  readonly requestTimeoutMs: number;
  /** INTROSPECTION: whether `__schema` and `__type` are answered (refused as Apollo Server refuses them when not). */
  readonly introspection: boolean;
  /** GRAPHQL_DEBUG_STACKTRACES: stack traces in the errors of refused requests. */
  readonly debugStacktraces: boolean;
  /** Counts whether the plan for a kind of viewer was there (query_plan). */
  readonly planLookups?: CacheLookups;
  /** A single result's media type, as Apollo Server negotiates it; undefined when the Accept header takes none (406). */
  readonly contentTypeFor: (request: IncomingMessage) => string | undefined;
}

/** One GraphQL request as the executor received it (any persisted query already resolved). */
export interface ExecutorRequest {
  readonly query: string;
  readonly operationName?: string | null;
  readonly variables?: Record<string, unknown> | null;
}

/** What is left to do once the request passed the steps before execution. */
export type BeforeExecution =
  /** Answered here: refused (as Apollo Server refuses it), or introspection. */
  | { readonly kind: 'answered' }
  /** For Apollo Server and @apollo/gateway, and why. */
  | { readonly kind: 'gateway'; readonly reason: GatewayReason }
  | {
      readonly kind: 'execute';
      readonly operation: PreparedOperation;
      readonly viewer: Viewer | null;
      /** The request's deadline (the client may have lowered it). */
      readonly timeoutMs: number;
      /** Coerced; empty for an operation denied whole (it is answered with its denial, never run). */
      readonly variables: Record<string, unknown>;
      /** A single result's media type; undefined when the Accept header takes none (only @defer's parts may go out then). */
      readonly contentType: string | undefined;
    };

const ANSWERED: BeforeExecution = { kind: 'answered' };

/**
 * The router executor's steps before it plans and runs anything, in Apollo Server's order: the
 * context (x-request-timeout-ms, the token), then the document (syntax, validation with
 * introspection refused when off, the operation), then the variables. Each refusal gets the
 * status and bytes Apollo Server's path gives (requestErrors.ts); an introspection operation
 * is answered from the API schema (introspection.ts).
 */
export function createBeforeExecution(options: BeforeExecutionOptions) {
  const formatting = { debugStacktraces: options.debugStacktraces };
  /** A refused request: logged with its codes, answered as Apollo Server answers it. */
  const refuse = (request: IncomingMessage, response: ServerResponse, contentType: string | undefined, answer: RequestErrorAnswer, additions?: ResponseAdditions): BeforeExecution => {
    if (contentType === undefined) return refuseUnacceptable(request, response);
    options.requestLog.of(request).errors(answer.errors);
    sendRequestError(response, answer, contentType, additions);
    return ANSWERED;
  };
  /** 406 in place of any single result, as Apollo Server answers it (see notAcceptableAnswer). */
  const refuseUnacceptable = (request: IncomingMessage, response: ServerResponse): BeforeExecution => {
    options.requestLog.of(request).errors(sendNotAcceptable(response, formatting));
    return ANSWERED;
  };

  return async (
    request: IncomingMessage,
    response: ServerResponse,
    body: ExecutorRequest,
    additions: ResponseAdditions,
    text: OperationText | undefined,
    state: SupergraphState,
    prepared: PreparedOperations,
  ): Promise<BeforeExecution> => {
    const record = options.requestLog.of(request);
    // Negotiated once: every answer below is a single result of this type (or the 406).
    const contentType = options.contentTypeFor(request);
    const operationName = body.operationName ?? undefined;
    let timeoutMs: number;
    let viewer: Viewer | null;
    try {
      const asked = requestTimeoutMsOf(request.headers, options.requestTimeoutMs);
      if (typeof asked !== 'number') throw requestTimeoutRefusal(asked);
      timeoutMs = asked;
      viewer = (await sessionFromAuthorization(request.headers.authorization, options.verifyToken))?.viewer ?? null;
    } catch (error) {
      // Refused as Apollo Server refuses a context that throws: no stage adds to its answer.
      const answer = contextRefusalAnswer(error, formatting);
      const code = answer.errors[0]?.extensions?.code;
      record.refused(typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR');
      // Thrown before runHttpQuery negotiates: JSON when the Accept header takes none.
      sendRequestError(response, answer, contentType ?? APPLICATION_JSON);
      return ANSWERED;
    }
    const schema = state.planner.apiGraphQLSchema;
    const operation = prepared.get(body.query, operationName, text, record.traceContext);
    if (operation === 'syntax error' || operation === 'invalid') {
      const answer = documentErrorAnswer(schema, body.query, options.introspection, formatting);
      return answer ? refuse(request, response, contentType, answer, additions) : { kind: 'gateway', reason: 'other' };
    }
    if (operation === 'operation not found') return refuse(request, response, contentType, operationResolutionAnswer(operationName, formatting), additions);
    // The streaming transports did not take it (no multipart or SSE Accept).
    if (operation === 'subscription') return refuse(request, response, contentType, subscriptionOverPlainHttpAnswer(formatting), additions);
    if (typeof operation === 'string') return { kind: 'gateway', reason: 'other' };
    if (!options.introspection && mentionsIntrospection(operation.document)) {
      const answer = documentErrorAnswer(schema, body.query, false, formatting);
      return answer ? refuse(request, response, contentType, answer, additions) : { kind: 'gateway', reason: 'other' };
    }
    const rawVariables = body.variables ?? {};
    const coerced = operation.coerceVariables(state, rawVariables);
    // The gateway path authorizes before it coerces: an operation denied whole gets its denial,
    // one denied in part its denials before the variables' errors.
    const authorized = coerced ? undefined : operation.executableFor(state, viewer, options.planLookups, record.traceContext);
    if (authorized?.kind === 'gateway') return { kind: 'gateway', reason: 'plan' };
    if (authorized?.kind === 'run') {
      // Resolved, as Apollo Server resolves it before its gateway coerces the variables.
      record.operation(operation.operation.name?.value, operation.operation.operation);
      const answer = variablesErrorAnswer(schema, body.query, operationName, rawVariables, formatting, authorized.denials.errorsIn(undefined));
      return answer ? refuse(request, response, contentType, answer, additions) : { kind: 'gateway', reason: 'other' };
    }
    if (isIntrospectionOnly(operation.operation, operation.fragments)) {
      const introspected = { document: operation.document, operationName, variables: rawVariables };
      if (contentType === undefined) return refuseUnacceptable(request, response);
      const payload = introspectionPayload(schema, introspected, additions, () => state.planner.planQuery(operation.document, operationName));
      if (payload === undefined) return { kind: 'gateway', reason: 'other' };
      record.operation(operation.operation.name?.value, operation.operation.operation);
      response.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(payload), 'cache-control': responseCacheControl(additions, false) });
      response.end(payload);
      return ANSWERED;
    }
    return { kind: 'execute', operation, viewer, timeoutMs, variables: coerced ?? {}, contentType };
  };
}
