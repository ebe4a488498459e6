import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseMediaType } from '@booking/runtime/dist/router';
import { viewerFromAuthorization, type TokenVerifier } from '../auth/tokenVerifier';
import { requestTimeoutMsOf, requestTimeoutRefusal } from '../execution/clientRequestTimeout';
import { badRequestAnswer, contextRefusalAnswer, NOT_ACCEPTABLE_MESSAGE, sendThrownRequestError, type RequestErrorAnswer, type RequestErrorFormatting } from '../execution/requestErrors';
import { landingPageHeaders } from '../landingPage/apolloLandingPage';
import type { SandboxPage } from '../landingPage/sandboxPage';
import { asksForPage } from './pageRequest';
import type { RequestLog } from './requestLog';
import { NO_STORE } from './responseCacheControl';
import { APPLICATION_JSON, singleResultMediaType } from './singleResultMediaType';

export interface PlainHttpAnswersOptions {
  readonly requestLog: RequestLog;
  readonly verifyToken: TokenVerifier;
  /** ROUTER_REQUEST_TIMEOUT_MS: the most a client's x-request-timeout-ms may ask for. */
  readonly requestTimeoutMs: number;
  /** GRAPHQL_DEBUG_STACKTRACES. */
  readonly debugStacktraces: boolean;
  /** With LANDING_PAGE=sandbox: the page a browser opening /graphql gets (Apollo Server renders none otherwise). */
  readonly sandbox?: SandboxPage;
}

/** Apollo Server's words (runHttpQuery.ts, requestPipeline.ts, ApolloServer.ts in @apollo/server 5.5.1). */
const ONLY_GET_AND_POST = 'Apollo Server supports only GET/POST requests.';
const GET_CONTENT_TYPE = 'GET requests may not have a content-type header other than application/json.';
const NO_QUERY = 'GraphQL operations must contain a non-empty `query` or a `persistedQuery` extension.';

/** One answer as Apollo Server writes it: its headers in its order, the status, JSON and a newline. */
interface PlainAnswer {
  readonly answer: RequestErrorAnswer;
  readonly headers: readonly (readonly [string, string])[];
}

/**
 * Requests that carry no operation for any executor, answered here as Apollo Server 5.5.1
 * answers them in this router (status, headers, body bytes), so none of them builds Apollo
 * Server and @apollo/gateway (router/src/lazyGateway.ts) on the default path: a scanner probing
 * /graphql with HEAD or PUT, or a browser opening Sandbox, costs nothing. Apollo Server's
 * order (`executeHTTPGraphQLRequest`, then `runHttpQuery`): the landing page for a GET that
 * prefers HTML; CSRF prevention (the csrfPrevention stage applied the same rule already); the
 * context (x-request-timeout-ms, then the token); a method other than GET and POST, 405 with
 * `Allow: GET, POST`; a GET's content type (415 unless JSON); its search parameters; no query,
 * 400; an Accept header that takes no JSON, 406. Everything else (an operation) is left as is:
 * false, and the server hands it to Apollo Server.
 */
export function plainHttpAnswers(options: PlainHttpAnswersOptions) {
  const formatting: RequestErrorFormatting = { debugStacktraces: options.debugStacktraces };

  /** The context's refusal, as the router's context function raises it for Apollo Server. */
  const contextRefusal = async (request: IncomingMessage): Promise<RequestErrorAnswer | undefined> => {
    try {
      const timeoutMs = requestTimeoutMsOf(request.headers, options.requestTimeoutMs);
      if (typeof timeoutMs !== 'number') throw requestTimeoutRefusal(timeoutMs);
      await viewerFromAuthorization(request.headers.authorization, options.verifyToken);
      return undefined;
    } catch (error) {
      return contextRefusalAnswer(error, formatting);
    }
  };

  /** What `runHttpQuery` and the request pipeline answer a GET without an operation. */
  const withoutOperation = (request: IncomingMessage, search: URLSearchParams): PlainAnswer => {
    const refused = (message: string, status = 400): PlainAnswer => ({ answer: badRequestAnswer(message, status, formatting), headers: [] });
    const contentType = request.headers['content-type'];
    if (contentType !== undefined && parseMediaType(contentType)?.essence !== 'application/json') return refused(GET_CONTENT_TYPE, 415);
    for (const name of ['operationName', 'variables']) {
      if (search.getAll(name).length > 1) return refused(`The '${name}' search parameter may only be specified once.`);
    }
    const variables = search.get('variables');
    if (variables !== null) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(variables);
      } catch {
        return refused('The variables search parameter contains invalid JSON.');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return refused('The variables search parameter should contain a JSON-encoded object.');
    }
    // The request pipeline's answer (its request log plugin sees it; the cache-control plugin says no-store) ...
    const missing = refused(NO_QUERY);
    options.requestLog.of(request).errors(missing.answer.errors);
    // ... unless the Accept header takes no JSON: then runHttpQuery refuses the response itself.
    return singleResultMediaType(request) === undefined ? refused(NOT_ACCEPTABLE_MESSAGE, 406) : { answer: missing.answer, headers: [['cache-control', NO_STORE]] };
  };

  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const method = request.method ?? 'GET';
    if (options.sandbox && asksForPage(request)) {
      const html = await options.sandbox.render();
      response.setHeader('content-type', 'text/html');
      for (const [name, value] of Object.entries(landingPageHeaders(html))) response.setHeader(name, value);
      response.end(html);
      return true;
    }
    const search = new URL(request.url ?? '/', 'http://localhost').searchParams;
    // An operation: the intake's and the executors' (this is never asked about one on the default path).
    if (method === 'POST' || (method === 'GET' && (search.has('query') || search.has('extensions')))) return false;
    const record = options.requestLog.of(request);
    const refusedByContext = await contextRefusal(request);
    if (refusedByContext) {
      const code = refusedByContext.errors[0]?.extensions?.code;
      record.refused(typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR');
      send(request, response, { answer: refusedByContext, headers: [] });
      return true;
    }
    const plain: PlainAnswer = method === 'GET' ? withoutOperation(request, search) : { answer: badRequestAnswer(ONLY_GET_AND_POST, 405, formatting), headers: [['allow', 'GET, POST']] };
    if (method !== 'GET') record.errors(plain.answer.errors);
    send(request, response, plain);
    return true;
  };
}

/**
 * Written as the server writes what Apollo Server returns (header by header, then the status,
 * then the body whole), so every header Node adds (Content-Length, also on a HEAD) is the same.
 */
function send(request: IncomingMessage, response: ServerResponse, { answer, headers }: PlainAnswer): void {
  for (const [name, value] of headers) response.setHeader(name, value);
  sendThrownRequestError(response, answer, singleResultMediaType(request) ?? APPLICATION_JSON);
}
