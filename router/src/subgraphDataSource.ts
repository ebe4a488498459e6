import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { injectTraceContext, ROUTER_HEADERS, routerCallSigner, unsignedViewer } from '@booking/runtime/dist/router';
import type { RouterContext } from './routerContext';
import type { Fetcher, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import { GraphQLError } from 'graphql';
import { DEADLINE_HEADER } from './execution/subgraphClient';
import { requestTimeoutError } from './execution/requestDeadline';
import { subgraphRefusal } from './execution/subgraphRefusal';
import type { SubgraphErrorPolicy, SubgraphErrorValue } from './pipeline/subgraphErrorPolicy';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { performance } from 'node:perf_hooks';
import type { RouterMetrics } from './observability/routerMetrics';
import type { SubgraphAnswer } from './execution/subgraphClient';
import { guarded, type SubgraphResilience } from './execution/subgraphResilience';

/** One gateway call's outcome, as a value (the gateway's data source throws its failures). */
type GatewayCall = { readonly response: GatewayGraphQLResponse } | { readonly error: unknown };

const ANSWERED: SubgraphAnswer = { kind: 'response', data: null, errors: [] };

/** The gateway call's outcome in the executor's terms, for the breaker and the retries: only its coded failures count. */
function answerOfGatewayCall(call: GatewayCall): SubgraphAnswer {
  if ('response' in call) return ANSWERED;
  const error = call.error;
  return error instanceof GraphQLError ? { kind: 'failed', error: { message: error.message, extensions: error.extensions } } : ANSWERED;
}

function refusedGatewayCall(answer: SubgraphAnswer): GatewayCall {
  return { error: answer.kind === 'failed' ? new GraphQLError(answer.error.message, { extensions: answer.error.extensions }) : new GraphQLError('refused') };
}

/** A subgraph's coded refusal (HTTP 400), held until the error policy has seen it with the request's log. */
class SubgraphRefused extends GraphQLError {
  constructor(readonly refused: SubgraphErrorValue) {
    super(refused.message ?? 'refused');
  }
}

/**
 * A failed subgraph call becomes an error that names the subgraph and carries a code, while
 * the gateway still serves the fields other subgraphs returned. A subgraph's own errors pass
 * the subgraph error policy (SUBGRAPH_ERRORS) here, for every @apollo/gateway execution:
 * ROUTER_EXECUTOR=gateway, what our executor leaves to the gateway, subscriptions' entity fetches.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(
    readonly serviceName: string,
    url: string,
    fetcher: Fetcher,
    signingSecret: string,
    private readonly errorPolicy: SubgraphErrorPolicy,
    /** Where the gateway's calls to this subgraph are timed and their errors counted. */
    private readonly metrics?: RouterMetrics,
    /** The same breakers and retry settings as the router's executor: one circuit per subgraph, whichever path calls it. */
    private readonly resilience?: SubgraphResilience,
  ) {
    super({ url, fetcher: signingFetcher(serviceName, signingSecret, fetcher) });
  }

  /**
   * One subgraph call of @apollo/gateway, timed as the router's executor times its own
   * (SubgraphClient.send): `errors` when the subgraph answered with GraphQL errors (counted by
   * code in didReceiveResponse, as sent), `failed` when there was no GraphQL answer.
   */
  override async process(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    // Health checks and schema loading are not a client's calls: no breaker, no retry.
    if (!this.resilience || !('incomingRequestContext' in options)) return this.measured(options);
    // Only a query's calls are retried (a subscription's entity fetches carry no operation here).
    const retriable = options.incomingRequestContext.operation?.operation === 'query';
    const deadline = options.context.deadline;
    const outcome = await guarded(
      this.resilience,
      {
        serviceName: this.serviceName,
        retriable,
        deadline: deadline === undefined ? undefined : { remainingMs: () => deadline - Date.now() },
        attempt: () => this.measured(options).then((response): GatewayCall => ({ response }), (error: unknown): GatewayCall => ({ error })),
        answerOf: answerOfGatewayCall,
        refused: refusedGatewayCall,
      },
      this.metrics,
    );
    if ('error' in outcome) throw outcome.error;
    return outcome.response;
  }

  private async measured(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    if (!this.metrics) return super.process(options);
    const startedAt = performance.now();
    try {
      const response = await super.process(options);
      this.metrics.subgraphFetched(this.serviceName, (performance.now() - startedAt) / 1_000, response.errors?.length ? 'errors' : 'ok');
      return response;
    } catch (error) {
      this.metrics.subgraphFetched(this.serviceName, (performance.now() - startedAt) / 1_000, 'failed');
      this.metrics.subgraphError(this.serviceName, error instanceof GraphQLError ? error.extensions.code : undefined);
      throw error;
    }
  }

  /**
   * Every subgraph call carries the caller's identity, signed so the subgraph can trust it. The
   * body is serialised only after this hook, so the signature is added by the fetcher.
   */
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    if (context.deadline !== undefined) {
      // Past the request's deadline nothing more is sent; before it, the shared fetcher limits
      // this call to what is left (see DEADLINE_HEADER).
      if (Date.now() >= context.deadline) throw requestTimedOut(this.serviceName, false);
      request.http?.headers.set(DEADLINE_HEADER, String(context.deadline));
    }
    if (context.traceContext) {
      // The shared fetcher makes this call's span a child of the request's from this header
      // (and sends its own in its place): the router has no context manager to carry it.
      const carrier: Record<string, string> = {};
      injectTraceContext(carrier, context.traceContext);
      for (const [name, value] of Object.entries(carrier)) request.http?.headers.set(name, value);
    }
    const viewer = context.viewer ?? null;
    request.http?.headers.set(ROUTER_HEADERS.userId, viewer?.userId ?? '');
    request.http?.headers.set(ROUTER_HEADERS.role, viewer?.role ?? '');
    request.http?.headers.set(ROUTER_HEADERS.scopes, viewer?.scopes.join(' ') ?? '');
  }

  override didReceiveResponse({ response, context }: Parameters<NonNullable<RemoteGraphQLDataSource<RouterContext>['didReceiveResponse']>>[0]): GatewayGraphQLResponse {
    if (!response.errors || response.errors.length === 0) return response;
    if (this.metrics) for (const error of response.errors) this.metrics.subgraphError(this.serviceName, error.extensions?.code);
    return { ...response, errors: this.errorPolicy.apply(this.serviceName, response.errors, context.requestLog) };
  }

  /**
   * A subgraph's coded refusal (HTTP 400) is passed on with its code (when the error policy lets
   * it: see didEncounterError); the gateway keeps one error per fetch.
   */
  override async errorFromResponse(response: FetcherResponse): Promise<GraphQLError> {
    const body = await this.parseBody(response).catch(() => undefined);
    const first = subgraphRefusal(response.status, body)?.[0];
    if (first) return new SubgraphRefused(first);
    return new GraphQLError(`Subgraph "${this.serviceName}" answered HTTP ${response.status}`, {
      extensions: { code: 'SUBGRAPH_HTTP_ERROR', serviceName: this.serviceName, status: response.status },
    });
  }

  override didEncounterError(error: Error, _request: unknown, response?: FetcherResponse, context?: RouterContext): never {
    if (response && response.status >= 400 && response.status < 500) context?.requestLog?.subgraphRefused(this.serviceName, response.status);
    if (error instanceof SubgraphRefused) {
      const [shown = error.refused] = this.errorPolicy.apply(this.serviceName, [error.refused], context?.requestLog);
      throw new GraphQLError(shown.message ?? `Subgraph "${this.serviceName}" refused the request`, {
        extensions: { ...shown.extensions, serviceName: this.serviceName },
      });
    }
    if (error instanceof GraphQLError) throw error;
    if (context?.deadline !== undefined && Date.now() >= context.deadline) throw requestTimedOut(this.serviceName, true);
    if (response && !response.ok) {
      throw new GraphQLError(`Subgraph "${this.serviceName}" answered HTTP ${response.status}`, {
        extensions: { code: 'SUBGRAPH_HTTP_ERROR', serviceName: this.serviceName, status: response.status },
      });
    }
    const timedOut = error.name === 'TimeoutError' || error.name === 'AbortError';
    throw new GraphQLError(
      timedOut
        ? `Subgraph "${this.serviceName}" did not answer in time`
        : `Subgraph "${this.serviceName}" is unavailable: ${describeCause(error)}`,
      { extensions: { code: timedOut ? 'SUBGRAPH_TIMEOUT' : 'SUBGRAPH_UNAVAILABLE', serviceName: this.serviceName } },
    );
  }
}

function requestTimedOut(serviceName: string, wasSent: boolean): GraphQLError {
  const error = requestTimeoutError(serviceName, wasSent);
  return new GraphQLError(error.message, { extensions: error.extensions });
}

/** Signs each call over the exact body the gateway sends, for the identity `willSendRequest` set. */
function signingFetcher(serviceName: string, secret: string, fetcher: Fetcher): Fetcher {
  return (url: string, init?: FetcherRequestInit) => {
    const headers: Record<string, string> = { ...init?.headers };
    const viewer = unsignedViewer((name) => headers[name]);
    Object.assign(headers, routerCallSigner(secret, viewer).request(serviceName, init?.body ?? ''));
    return fetcher(url, { ...init, headers });
  };
}

function describeCause(error: Error): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error.message;
}
