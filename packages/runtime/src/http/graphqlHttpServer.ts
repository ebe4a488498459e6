import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { Logger } from '../logger';
import { isJsonRequestBody } from './mediaType';
import { trace } from '../observability/spans';

/** A plain route beside /graphql (health, readiness, later metrics and JWKS). */
export type Route = (request: IncomingMessage, response: ServerResponse) => Promise<void> | void;

/**
 * Apollo Server when a request first needs it (the router builds its gateway lazily): started,
 * or the coded refusal to answer instead when it could not be started.
 */
export type ApolloServerSource<Context extends BaseContext> = (
  request: IncomingMessage,
) => Promise<{ readonly apollo: ApolloServer<Context> } | { readonly refusal: HttpRefusal }>;

export interface GraphQLHttpServerOptions<Context extends BaseContext> {
  /** Started already, or a source asked for it per request that reaches Apollo Server. */
  readonly apollo: ApolloServer<Context> | ApolloServerSource<Context>;
  /**
   * `body` is the request body exactly as received (router signatures cover its digest);
   * `signal` aborts when the client closes the connection before its answer is sent.
   */
  readonly context: (request: IncomingMessage, body: Buffer, signal: AbortSignal) => Promise<Context>;
  readonly routes?: Readonly<Record<string, Route>>;
  readonly logger: Logger;
  /** Largest accepted request body; bigger ones get 413 before any parsing. */
  readonly maxBodyBytes?: number;
  /** How long shutdown waits for in-flight requests before cutting connections (SHUTDOWN_DEADLINE_MS). */
  readonly shutdownGraceMs?: number;
  /**
   * Sees every POST to /graphql (its parsed body) and every GET (`body` undefined; the request
   * URL holds its parameters) first: it answers the request itself (true), leaves it to Apollo
   * Server as is (false), or hands Apollo Server a request of its own (a persisted query
   * resolved, say), which Apollo Server then runs as a JSON POST.
   */
  readonly intercept?: (request: IncomingMessage, response: ServerResponse, body: unknown) => Promise<boolean | { readonly body: unknown }>;
  /**
   * Sees, before Apollo Server, every /graphql request that carries no operation for an executor:
   * one the interceptor left as is (a GET without a query, a page request) and every method but
   * GET and POST. It answers it itself (true), so Apollo Server need not exist for it (the router
   * builds its gateway lazily), or leaves it to Apollo Server (false).
   */
  readonly answerWithoutExecutor?: (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;
  /**
   * Runs on every /graphql request (any method) before its body is read, and so before any
   * executor: the router's request pipeline (request log, CORS, CSRF prevention...). It may set
   * response headers; a refusal is answered as is; 'answered' means a stage wrote the whole
   * response itself (a CORS preflight).
   */
  readonly admit?: (request: IncomingMessage, response: ServerResponse) => HttpRefusal | 'answered' | undefined;
  /**
   * Headers for an HTML page Apollo Server renders (its landing page), from the page itself: a
   * Content-Security-Policy that allows what that page holds. GraphQL responses never get them.
   */
  readonly pageHeaders?: (html: string) => Readonly<Record<string, string>>;
}

/** A request refused before GraphQL execution: its HTTP status and a coded GraphQL error. */
export interface HttpRefusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** What the client needs to fix it (a limit and the measured value, say), beside the code. */
  readonly extensions?: Readonly<Record<string, unknown>>;
  /** Retry-After, RateLimit-*, Cache-Control. */
  readonly headers?: Readonly<Record<string, string>>;
}

export function sendRefusal(response: ServerResponse, refusal: HttpRefusal): void {
  for (const [name, value] of Object.entries(refusal.headers ?? {})) response.setHeader(name, value);
  sendJson(response, refusal.status, { errors: [{ message: refusal.message, extensions: { code: refusal.code, ...refusal.extensions } }] });
}

export interface GraphQLHttpServer {
  readonly server: Server;
  listen(port: number, host: string): Promise<string>;
  /** Stops accepting, lets in-flight requests finish (bounded), then closes every socket. */
  close(): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';

const HTML_PAGE = /^\s*text\/html\b/i;

const UNSUPPORTED_BODY: HttpRefusal = {
  status: 415,
  code: 'BAD_REQUEST',
  message: 'A GraphQL POST body must be JSON: send content-type application/json (in UTF-8)',
};

export function createGraphQLHttpServer<Context extends BaseContext>(
  options: GraphQLHttpServerOptions<Context>,
): GraphQLHttpServer {
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  let closing: Promise<void> | undefined;

  const server = createServer((request, response) => {
    // A keep-alive connection whose response was under way when shutdown began would idle on
    // until keepAliveTimeout once it ends, holding the exit back: closed as soon as it is idle.
    response.once('finish', () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    handle(request, response).catch((error: unknown) => {
      options.logger.error({ err: error }, 'request failed outside GraphQL execution');
      if (!response.headersSent) sendJson(response, 500, graphqlError('Internal server error', 'INTERNAL_SERVER_ERROR'));
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    // No response of ours is to be sniffed into another type (JSON rendered as HTML, say).
    response.setHeader('x-content-type-options', 'nosniff');
    if (closing) response.setHeader('connection', 'close');
    const route = options.routes?.[url.pathname];
    if (route) return route(request, response);
    if (url.pathname !== GRAPHQL_PATH) {
      sendJson(response, 404, { error: `No route for ${url.pathname}; GraphQL is served at ${GRAPHQL_PATH}` });
      return;
    }
    nameServerSpan(request.method);
    const refusal = options.admit?.(request, response);
    if (refusal === 'answered') return;
    if (refusal) {
      // The body is never read, so this connection cannot carry another request.
      if (request.method !== 'GET') response.setHeader('connection', 'close');
      sendRefusal(response, refusal);
      return;
    }
    const declaredLength = Number(request.headers['content-length'] ?? 0);
    const body = declaredLength > maxBodyBytes ? ({ kind: 'tooLarge' } as const) : await readBody(request, maxBodyBytes);
    if (body.kind === 'tooLarge') {
      // The rest of the body is never read, so this connection cannot carry another request.
      response.setHeader('connection', 'close');
      sendJson(response, 413, graphqlError(`Request body exceeds ${maxBodyBytes} bytes`, 'BAD_REQUEST'));
      return;
    }
    let parsedBody: unknown = undefined;
    if (request.method === 'POST') {
      // By media type, never by substring: `text/plain; charset=application/json` is text/plain.
      if (!isJsonRequestBody(request.headers['content-type'])) {
        sendRefusal(response, UNSUPPORTED_BODY);
        return;
      }
      try {
        parsedBody = body.text.length > 0 ? JSON.parse(body.text) : undefined;
      } catch {
        sendJson(response, 400, graphqlError('Request body is not valid JSON', 'BAD_REQUEST'));
        return;
      }
    }
    const intercepted = (request.method === 'POST' || request.method === 'GET') && options.intercept ? await options.intercept(request, response, parsedBody) : false;
    if (intercepted === true) return;
    if (intercepted === false && options.answerWithoutExecutor && (await options.answerWithoutExecutor(request, response))) return;
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    let httpGraphQLRequest = { method: request.method ?? 'GET', headers, search: url.search, body: parsedBody };
    if (intercepted !== false) {
      // The interceptor's own request (checked by its stages, CSRF included) as a JSON POST.
      headers.set('content-type', 'application/json');
      httpGraphQLRequest = { method: 'POST', headers, search: '', body: intercepted.body };
    }
    const clientLeft = abortWhenClientLeaves(response);
    let apollo: ApolloServer<Context>;
    if (typeof options.apollo === 'function') {
      const source = await options.apollo(request);
      if ('refusal' in source) {
        sendRefusal(response, source.refusal);
        return;
      }
      apollo = source.apollo;
    } else {
      apollo = options.apollo;
    }
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest,
      context: () => options.context(request, body.bytes, clientLeft),
    });
    // Nobody is waiting for it: nothing is serialised or written.
    if (clientLeft.aborted) return;
    for (const [name, value] of result.headers) response.setHeader(name, value);
    response.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      if (options.pageHeaders && HTML_PAGE.test(result.headers.get('content-type') ?? '')) {
        for (const [name, value] of Object.entries(options.pageHeaders(result.body.string))) response.setHeader(name, value);
      }
      response.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) {
      response.write(chunk);
    }
    response.end();
  }

  return {
    server,
    listen(port, host) {
      return listenAt(server, port, host);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        const graceMs = options.shutdownGraceMs ?? 10_000;
        options.logger.info({ deadlineMs: graceMs }, 'stopped accepting connections; finishing in-flight requests');
        const grace = setTimeout(() => {
          // Past the shutdown deadline: what is still running is cut rather than hold the exit.
          options.logger.warn({ deadlineMs: graceMs }, 'shutdown deadline passed: cutting the connections still open');
          server.closeAllConnections();
        }, graceMs);
        grace.unref();
        server.close(() => {
          clearTimeout(grace);
          resolve();
        });
        // Keep-alive sockets with no request in flight would hold close() open forever;
        // busy ones get `connection: close` on their response and end after it.
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/**
 * The HTTP instrumentation's SERVER span of this request (a subgraph with tracing on) gets its
 * route, per the HTTP semantic conventions: `POST /graphql`. The router has no active span (it
 * opens its own, already named so: router/src/pipeline/requestSpan.ts).
 */
function nameServerSpan(method: string | undefined): void {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  span.setAttribute('http.route', GRAPHQL_PATH);
  span.updateName(`${method ?? 'GET'} ${GRAPHQL_PATH}`);
}

/**
 * Aborts when the connection closes before the response was finished (the router gave up on
 * this call, or a client went away), so the request's work can stop instead of running on.
 */
function abortWhenClientLeaves(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}

type Body = { kind: 'ok'; text: string; bytes: Buffer } | { kind: 'tooLarge' };

async function readBody(request: IncomingMessage, limit: number): Promise<Body> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) return { kind: 'tooLarge' };
    chunks.push(buffer);
  }
  const bytes = Buffer.concat(chunks);
  return { kind: 'ok', text: bytes.toString('utf8'), bytes };
}

export function sendJson(response: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function graphqlError(message: string, code: string) {
  return { errors: [{ message, extensions: { code } }] };
}

/** Starts `server` on `host:port` (0: a free one); resolves with its origin, `http://host:port`. */
export function listenAt(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const printableHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve(`http://${printableHost}:${address.port}`);
    });
  });
}
