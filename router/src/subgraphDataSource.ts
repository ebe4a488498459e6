import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { signViewerHeaders } from '@booking/runtime';
import type { RouterContext } from './routerContext';
import type { Fetcher, FetcherResponse } from '@apollo/utils.fetcher';
import { GraphQLError } from 'graphql';
import { subgraphRefusal } from './execution/subgraphRefusal';

/**
 * A failed subgraph call becomes an error that names the subgraph and carries a code, while
 * the gateway still serves the fields other subgraphs returned.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(
    readonly serviceName: string,
    url: string,
    fetcher: Fetcher,
    private readonly signingSecret: string,
  ) {
    super({ url, fetcher });
  }

  /** Every subgraph call carries the caller's identity, signed so the subgraph can trust it. */
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    const headers = signViewerHeaders(this.signingSecret, context.viewer ?? null);
    for (const [name, value] of Object.entries(headers)) request.http?.headers.set(name, value);
  }

  /** A subgraph's coded refusal (HTTP 400) is passed on with its code; the gateway keeps one error per fetch. */
  override async errorFromResponse(response: FetcherResponse): Promise<GraphQLError> {
    const body = await this.parseBody(response).catch(() => undefined);
    const first = subgraphRefusal(response.status, body)?.[0];
    if (first) {
      return new GraphQLError(first.message ?? `Subgraph "${this.serviceName}" refused the request`, {
        extensions: { ...first.extensions, serviceName: this.serviceName },
      });
    }
    return new GraphQLError(`Subgraph "${this.serviceName}" answered HTTP ${response.status}`, {
      extensions: { code: 'SUBGRAPH_HTTP_ERROR', serviceName: this.serviceName, status: response.status },
    });
  }

  override didEncounterError(error: Error, _request: unknown, response?: FetcherResponse): never {
    if (error instanceof GraphQLError) throw error;
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

function describeCause(error: Error): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error.message;
}
