import type { Fetcher, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request, errors as undiciErrors, type Dispatcher } from 'undici';
import { contextOfTraceparent, ROOT_CONTEXT, type RouterCallSigner } from '@booking/runtime/dist/router';
import type { ResponseError } from './responseError';
import { requestTimeoutError, type RequestDeadline } from './requestDeadline';
import { subgraphRefusal } from './subgraphRefusal';
import { performance } from 'node:perf_hooks';
import { SubgraphSpan } from './subgraphSpan';
import type { SubgraphCallLog } from '../pipeline/requestLog';
import type { RouterMetrics } from '../observability/routerMetrics';
import { guarded, type SubgraphResilience } from './subgraphResilience';

/** What a subgraph answered: its GraphQL response, or why there is none. */
export type SubgraphAnswer =
  | { readonly kind: 'response'; readonly data: Record<string, unknown> | null; readonly errors: readonly SubgraphError[] }
  | { readonly kind: 'failed'; readonly error: ResponseError };

export interface SubgraphError {
  readonly message?: string;
  readonly path?: readonly (string | number)[];
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/** One subgraph call as `send` was given it: made once, or again when it is retried. */
interface OutgoingCall {
  readonly serviceName: string;
  readonly url: string;
  readonly body: string;
  readonly sign: (serviceName: string, body: string) => Readonly<Record<string, string>>;
  readonly deadline: RequestDeadline | undefined;
  readonly log: SubgraphCallLog | undefined;
  readonly entityCount: number | undefined;
}

interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: SubgraphError[];
}

/**
 * The gateway's data sources tell the shared fetcher their request's deadline (epoch ms) in
 * this header; the fetcher removes it before sending, so subgraphs never see it.
 */
export const DEADLINE_HEADER = 'x-router-request-deadline';

/** A subgraph call's headers: its own signature (over the subgraph's name and the body) and the JSON content type. */
export function signedHeaders(signer: RouterCallSigner): (serviceName: string, body: string) => Record<string, string> {
  return (serviceName, body) => ({ ...signer.request(serviceName, body), 'content-type': 'application/json', accept: 'application/json' });
}

function failure(serviceName: string, code: string, message: string, extra: Record<string, unknown> = {}): SubgraphAnswer {
  return { kind: 'failed', error: { message, extensions: { code, serviceName, ...extra } } };
}

function causeOf(error: unknown): string {
  const withCause = error as { code?: unknown; cause?: { code?: unknown; message?: unknown }; message?: unknown };
  if (typeof withCause.cause?.code === 'string') return withCause.cause.code;
  if (typeof withCause.code === 'string') return withCause.code;
  return typeof withCause.message === 'string' ? withCause.message : String(error);
}

/** Statuses whose Response must have no body (the Response constructor throws otherwise). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

function headersOf(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, one);
  }
  return headers;
}

/**
 * The router's one keep-alive connection pool to its subgraphs. Its own executor calls them
 * with undici's `request` (no WHATWG Request/Response/Headers objects per call), a deadline for
 * the response headers and for each body gap, and every failure turned into a coded error that
 * names the subgraph. `fetcher` serves @apollo/gateway (what the executor leaves to it) over the
 * same pool: the gateway's default client (make-fetch-happen) is far slower and has no deadline.
 */
export class SubgraphClient {
  private readonly agent: Agent;

  readonly fetcher: Fetcher = async (url: string, init?: FetcherRequestInit): Promise<FetcherResponse> => {
    const given = { ...(init?.headers as Record<string, string> | undefined) };
    const deadline = Number(given[DEADLINE_HEADER] ?? Number.POSITIVE_INFINITY);
    delete given[DEADLINE_HEADER];
    // The data source sent its request's context as the call's traceparent (see
    // SubgraphDataSource): this call's span is its child, and replaces it with its own.
    const span = new SubgraphSpan(serviceNameOf(url, this.serviceNames), url, undefined, contextOfTraceparent(given.traceparent));
    const headers = span.headers(given);
    // undici's `request`, not `fetch`: fetch refuses a port on the WHATWG "bad ports" list
    // (6000, 6665–6669, 10080, …) with "bad port" before connecting, and a subgraph may well
    // listen on one. The answer is read whole (subgraph answers are JSON documents) and handed
    // to the gateway as the WHATWG Response it expects.
    let status: number;
    let body: string;
    let responseHeaders: IncomingHttpHeaders;
    try {
      const response = await request(url, {
        method: (init?.method ?? 'POST') as Dispatcher.HttpMethod,
        headers,
        body: init?.body,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(Math.max(1, Math.min(this.timeoutMs, deadline - Date.now()))),
      });
      body = await response.body.text();
      status = response.statusCode;
      responseHeaders = response.headers;
    } catch (error) {
      span.end(undefined, 'SUBGRAPH_UNAVAILABLE');
      throw error;
    }
    span.end(status, status >= 400 ? 'SUBGRAPH_HTTP_ERROR' : undefined);
    return new Response(NULL_BODY_STATUSES.has(status) ? null : body, { status, headers: headersOf(responseHeaders) }) as unknown as FetcherResponse;
  };

  /** Subgraph URL → name, for the gateway's calls (its fetcher is told only the URL). */
  private readonly serviceNames = new Map<string, string>();

  /** Called for every data source, so the gateway's fetches name their subgraph in traces. */
  nameService(url: string, serviceName: string): void {
    this.serviceNames.set(url, serviceName);
  }

  constructor(
    private readonly timeoutMs: number,
    /** Where the executor's subgraph calls are timed and their errors counted (the gateway's: SubgraphDataSource). */
    private readonly metrics?: RouterMetrics,
    private readonly resilience?: SubgraphResilience,
  ) {
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      connections: 128,
      pipelining: 1,
      connectTimeout: Math.min(timeoutMs, 5_000),
    });
  }

  /**
   * `sign` gives each attempt its headers, with the JSON content type (see `signedHeaders`): a
   * retry is signed anew, since a subgraph refuses a signature it has seen (replay).
   * With a `deadline`, the call waits at most what is left of it and is cut when it passes.
   * A 4xx answer is told to `log` (a warning: a client's mistake the subgraph caught, or a
   * router the subgraph does not trust).
   */
  async send(
    serviceName: string,
    url: string,
    body: string,
    sign: (serviceName: string, body: string) => Readonly<Record<string, string>>,
    deadline?: RequestDeadline,
    log?: SubgraphCallLog,
    /** How many entities an entity fetch asks for (for its span). */
    entityCount?: number,
    /** A query's call: retried on a refused connection or 502/503/504 (SUBGRAPH_RETRIES). Never a mutation's. */
    retriable = false,
  ): Promise<SubgraphAnswer> {
    const outgoing: OutgoingCall = { serviceName, url, body, sign, deadline, log, entityCount };
    if (!this.resilience) return this.measured(outgoing);
    return guarded(this.resilience, { serviceName, retriable, deadline, attempt: () => this.measured(outgoing), answerOf: sameAnswer, refused: sameAnswer }, this.metrics);
  }

  /** One call, timed and counted in the subgraph metrics. */
  private async measured(outgoing: OutgoingCall): Promise<SubgraphAnswer> {
    if (!this.metrics) return this.traced(outgoing);
    const { serviceName } = outgoing;
    const startedAt = performance.now();
    const answer = await this.traced(outgoing);
    const seconds = (performance.now() - startedAt) / 1_000;
    if (answer.kind === 'failed') {
      this.metrics.subgraphFetched(serviceName, seconds, 'failed');
      this.metrics.subgraphError(serviceName, answer.error.extensions.code);
    } else if (answer.errors.length > 0) {
      this.metrics.subgraphFetched(serviceName, seconds, 'errors');
      for (const error of answer.errors) this.metrics.subgraphError(serviceName, error.extensions?.code);
    } else {
      this.metrics.subgraphFetched(serviceName, seconds, 'ok');
    }
    return answer;
  }

  /** The call in its client span (a no-op span when tracing is off or the trace is not sampled). */
  private async traced({ serviceName, url, body, sign, deadline, log, entityCount }: OutgoingCall): Promise<SubgraphAnswer> {
    const timeoutMs = deadline ? Math.min(this.timeoutMs, deadline.remainingMs()) : this.timeoutMs;
    if (timeoutMs <= 0) return { kind: 'failed', error: requestTimeoutError(serviceName, false) };
    const span = new SubgraphSpan(serviceName, url, entityCount, log?.traceContext ?? ROOT_CONTEXT);
    const answer = await this.call(serviceName, url, body, span.headers(sign(serviceName, body)), timeoutMs, log);
    span.end(answer.status, answer.answer.kind === 'failed' ? String(answer.answer.error.extensions?.code ?? 'SUBGRAPH_FETCH_FAILED') : undefined);
    return answer.answer;
  }

  private async call(
    serviceName: string,
    url: string,
    body: string,
    headers: Readonly<Record<string, string>>,
    timeoutMs: number,
    log: SubgraphCallLog | undefined,
  ): Promise<{ readonly answer: SubgraphAnswer; readonly status?: number }> {
    let statusCode: number;
    let text: string;
    try {
      const response = await request(url, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.agent,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      statusCode = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
        // The call's timeout was what was left of the request's deadline: the request timed out.
        if (timeoutMs < this.timeoutMs) return { answer: { kind: 'failed', error: requestTimeoutError(serviceName, true) } };
        return { answer: failure(serviceName, 'SUBGRAPH_TIMEOUT', `Subgraph "${serviceName}" did not answer in time`) };
      }
      return { answer: failure(serviceName, 'SUBGRAPH_UNAVAILABLE', `Subgraph "${serviceName}" is unavailable: ${causeOf(error)}`) };
    }
    return { answer: this.answerOf(serviceName, statusCode, text, log), status: statusCode };
  }

  private answerOf(serviceName: string, statusCode: number, text: string, log: SubgraphCallLog | undefined): SubgraphAnswer {
    let parsed: GraphQLBody | undefined;
    try {
      parsed = JSON.parse(text) as GraphQLBody;
    } catch {
      parsed = undefined;
    }
    const isGraphQL = parsed !== undefined && parsed !== null && typeof parsed === 'object' && ('data' in parsed || Array.isArray(parsed.errors));
    if (statusCode >= 200 && statusCode < 300 && isGraphQL) {
      return { kind: 'response', data: parsed?.data ?? null, errors: parsed?.errors ?? [] };
    }
    if (statusCode >= 400 && statusCode < 500) log?.subgraphRefused(serviceName, statusCode);
    const refusal = subgraphRefusal(statusCode, parsed);
    if (refusal) return { kind: 'response', data: null, errors: refusal };
    // A subgraph shedding load (its MAX_CONCURRENT_REQUESTS): unavailable for now, not broken.
    // Still a 503 to the retry policy and the circuit breaker.
    if (statusCode === 503 && parsed?.errors?.some((error) => error.extensions?.code === 'SERVICE_OVERLOADED')) {
      return failure(serviceName, 'SUBGRAPH_UNAVAILABLE', `Subgraph "${serviceName}" is overloaded (serving its most requests at once); retry shortly`, { status: statusCode, reason: 'SERVICE_OVERLOADED' });
    }
    // Any other non-2xx answer counts as a failure of the whole fetch, with its status.
    return failure(serviceName, 'SUBGRAPH_HTTP_ERROR', `Subgraph "${serviceName}" answered HTTP ${statusCode}`, { status: statusCode });
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

const sameAnswer = (answer: SubgraphAnswer): SubgraphAnswer => answer;

function serviceNameOf(url: string, names: ReadonlyMap<string, string>): string {
  return names.get(url) ?? new URL(url).host;
}
