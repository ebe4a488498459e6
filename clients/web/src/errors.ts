import { isApolloError, type ApolloError } from '@apollo/client/core';

interface GraphQLErrorShape {
  readonly message: string;
  readonly extensions?: { readonly code?: unknown };
}

const errorsOf = (body: unknown): readonly GraphQLErrorShape[] =>
  typeof body === 'object' && body !== null && Array.isArray((body as { errors?: unknown }).errors) ? (body as { errors: GraphQLErrorShape[] }).errors : [];

const line = (error: GraphQLErrorShape): string => `${String(error.extensions?.code ?? 'NO_CODE')}: ${error.message}`;

/**
 * What a user is told about a failed operation: the router's `extensions.code` and message. A
 * refusal before execution (401 for an expired token) reaches Apollo Client as a network error
 * whose `result` is the router's JSON body; errors of an executed operation are `graphQLErrors`.
 */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error) || !isApolloError(error)) return String(error);
  const apolloError: ApolloError = error;
  const network = apolloError.networkError as { statusCode?: number; result?: unknown } | null;
  if (network) {
    const errors = errorsOf(network.result);
    const status = network.statusCode === undefined ? '' : `HTTP ${network.statusCode} `;
    return errors.length > 0 ? `${status}${errors.map(line).join('; ')}` : `${status}${apolloError.message}`;
  }
  if (apolloError.graphQLErrors.length > 0) return apolloError.graphQLErrors.map(line).join('; ');
  return apolloError.message;
}
