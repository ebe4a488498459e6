import type { GraphQLError } from 'graphql';

export type ResponsePath = (string | number)[];

/** An error as it goes out in a GraphQL response: a plain value, built once, serialised as is. */
export interface ResponseError {
  readonly message: string;
  readonly path?: ResponsePath;
  readonly extensions: Readonly<Record<string, unknown>>;
}

export function responseErrorOf(error: GraphQLError): ResponseError {
  const json = error.toJSON();
  return {
    message: json.message,
    ...(json.path ? { path: [...json.path] } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR', ...json.extensions },
  };
}
