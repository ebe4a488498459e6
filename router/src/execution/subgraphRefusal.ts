import type { SubgraphError } from './subgraphClient';

/**
 * The coded errors of a subgraph that refused a request as the client's mistake (HTTP 400
 * with a GraphQL body whose every error has `extensions.code`, e.g. BAD_USER_INPUT for text it
 * cannot store), or undefined for any other failure. Those codes are the client's answer and
 * are passed on as they are (with the serviceName). Anything else stays SUBGRAPH_HTTP_ERROR:
 * a 401/403 from a subgraph means the router's signature was refused, which is the operator's
 * problem, not a permission the client lacks.
 */
export function subgraphRefusal(statusCode: number, body: unknown): readonly SubgraphError[] | undefined {
  if (statusCode !== 400 || typeof body !== 'object' || body === null) return undefined;
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
