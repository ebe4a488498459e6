export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

export interface GraphQLResponse<Data = Record<string, unknown>> {
  status: number;
  data?: Data | null;
  errors?: GraphQLErrorShape[];
}

/** The body `graphqlRequest` sends, byte for byte (router signatures cover its digest). */
export function graphqlRequestBody(query: string, variables?: Record<string, unknown>): string {
  return JSON.stringify({ query, variables });
}

/** A plain HTTP GraphQL POST, the way any frontend client sends one. */
export async function graphqlRequest<Data = Record<string, unknown>>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<Data>> {
  return postGraphQL<Data>(url, graphqlRequestBody(query, variables), headers);
}

/** POSTs `body` exactly as given. */
export async function postGraphQL<Data = Record<string, unknown>>(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<Data>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const answer = (await response.json()) as { data?: Data | null; errors?: GraphQLErrorShape[] };
  return { status: response.status, ...answer };
}
