import type { SubgraphError } from './subgraphClient';

/**
 * The coded errors of a subgraph that refused a request (HTTP 4xx with a GraphQL body whose
 * every error has `extensions.code`, e.g. 400 BAD_USER_INPUT for text it cannot store), or
 * undefined for any other failure. Those codes are the client's answer and are passed on as
 * they are (with the serviceName); anything else stays SUBGRAPH_HTTP_ERROR.
 */
export function subgraphRefusal(statusCode: number, body: unknown): readonly SubgraphError[] | undefined {
  if (statusCode < 400 || statusCode >= 500 || typeof body !== 'object' || body === null) return undefined;
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const coded = errors.every(
    (error: unknown) =>
      typeof error === 'object' &&
      error !== null &&
      typeof (error as SubgraphError).message === 'string' &&
      typeof (error as SubgraphError).extensions?.code === 'string',
  );
  return coded ? (errors as SubgraphError[]) : undefined;
}
