import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendRefusal } from '@booking/runtime/dist/router';
import { sessionFromAuthorization, type TokenVerifier } from '../auth/tokenVerifier';
import { clientAddress } from './callerIdentity';
import { asksForCost } from './costExposure';
import { graphqlRequestFromSearch, graphqlRequestShape, type GraphQLRequestBody } from './graphqlRequestShape';
import type { OperationPipeline } from './operationPipeline';
import type { OperationText } from './operationText';
import type { RequestLog } from './requestLog';
import type { QueryPlanExposure } from './queryPlanExposure';
import type { PendingResponseExtensions, ResponseAdditions } from './responseExtensions';
import { cacheControlOnSuccess, NO_STORE } from './responseCacheControl';
import { asksForPage } from './pageRequest';

/**
 * A transport that may answer an admitted request itself (subscriptions, our executor); it adds
 * `additions` (what the client asked the stages for: the cost, its query plan) to its response,
 * or its first part. `text` is the admitted text's cache key and, on its first sight, its
 * validated document.
 */
export type OperationHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  body: GraphQLRequestBody,
  additions: ResponseAdditions,
  text: OperationText,
) => Promise<boolean>;

export interface HttpOperationIntakeOptions {
  readonly requestLog: RequestLog;
  readonly pipeline: OperationPipeline;
  readonly verifyToken: TokenVerifier;
  readonly trustedProxyHops: number;
  /** Tried in order with the admitted request; when none answers, Apollo Server runs it. */
  readonly handlers: readonly OperationHandler[];
  /** Where Apollo Server's path finds the extensions the stages add to its response. */
  readonly responseExtensions: PendingResponseExtensions;
  /** Whether the request asks for its query plan (Apollo-Expose-Query-Plan) and may have it. */
  readonly queryPlanExposure: (request: IncomingMessage) => QueryPlanExposure | undefined;
  /** Told of each admitted request no handler took (it goes to Apollo Server and @apollo/gateway). */
  readonly handedToGateway?: (request: IncomingMessage) => void;
}


/**
 * Where an HTTP request enters the operation stages: its GraphQL request is read (POST body or
 * GET parameters) and checked for shape, the caller identified (a refused token is the
 * executor's to answer; its budget is its address's), the operation stages run, and the
 * admitted request goes to the first transport that takes it, else to Apollo Server as is.
 */
export function httpOperationIntake(options: HttpOperationIntakeOptions) {
  return async (request: IncomingMessage, response: ServerResponse, body: unknown): Promise<boolean | { readonly body: unknown }> => {
    const record = options.requestLog.of(request);
    // Until an admitted operation says otherwise: refusals (a GET's 405 too) are never kept.
    response.setHeader('cache-control', NO_STORE);
    let graphqlRequest: GraphQLRequestBody;
    if (request.method === 'GET') {
      const fromSearch = graphqlRequestFromSearch(new URL(request.url ?? '/', 'http://localhost').searchParams);
      // No operation, or a browser asking for a page (only with LANDING_PAGE=sandbox: the
      // landingPage stage answers it otherwise): Apollo Server's landing page.
      if (fromSearch === undefined || asksForPage(request)) return false;
      if ('status' in fromSearch) {
        record.refused(fromSearch.code);
        sendRefusal(response, fromSearch);
        return true;
      }
      graphqlRequest = fromSearch;
    } else {
      const malformed = graphqlRequestShape(body);
      if (malformed) {
        record.refused(malformed.code);
        sendRefusal(response, malformed);
        return true;
      }
      graphqlRequest = body as GraphQLRequestBody;
    }
    let viewer = null;
    try {
      viewer = (await sessionFromAuthorization(request.headers.authorization, options.verifyToken))?.viewer ?? null;
    } catch {
      // A refused token: the executor answers it (401).
    }
    const admission = await options.pipeline.admit(
      graphqlRequest,
      request.method === 'GET' ? 'GET' : 'POST',
      { viewer, address: clientAddress(request, options.trustedProxyHops), trace: record.traceContext },
      { cost: asksForCost(request) },
    );
    if (admission.kind === 'refused') {
      record.refused(admission.refusal.code);
      sendRefusal(response, admission.refusal);
      return true;
    }
    for (const [name, value] of Object.entries(admission.headers)) response.setHeader(name, value);
    const queryPlan = options.queryPlanExposure(request);
    const cacheControl = cacheControlOnSuccess(admission.cachePolicy, request);
    const additions: ResponseAdditions = { extensions: admission.extensions, cacheControl, ...(queryPlan ? { queryPlan } : {}) };
    for (const handler of options.handlers) {
      if (await handler(request, response, admission.request, additions, admission.text)) return true;
    }
    options.handedToGateway?.(request);
    options.responseExtensions.set(request, additions);
    return { body: admission.request };
  };
}
