import type { HttpRefusal } from '@booking/runtime/dist/router';

/** A POST body as the GraphQL-over-HTTP spec shapes it; `query` may be absent for a persisted query. */
export interface GraphQLRequestBody {
  readonly query?: string;
  readonly operationName?: string | null;
  readonly variables?: Record<string, unknown> | null;
  readonly extensions?: Record<string, unknown> | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const refused = (message: string): HttpRefusal => ({ status: 400, code: 'BAD_REQUEST', message });

/**
 * The body stage of the request pipeline: a parsed POST body reaches an executor only when
 * it is one GraphQL request whose fields have the types the spec gives them, so no executor
 * meets a number where it expects an object (that was a TypeError and a 500). Worded as Apollo
 * Server words the same refusals, so both executors answer alike.
 */
export function graphqlRequestShape(body: unknown): HttpRefusal | undefined {
  if (Array.isArray(body)) return refused('Operation batching is not supported: send one operation per request.');
  if (!isRecord(body) || Object.keys(body).length === 0) {
    return refused('POST body missing, invalid Content-Type, or JSON object has no keys.');
  }
  if (body.query !== undefined && body.query !== null && typeof body.query !== 'string') return refused('GraphQL queries must be strings.');
  for (const field of ['variables', 'extensions'] as const) {
    const value = body[field];
    if (typeof value === 'string') {
      return refused(`\`${field}\` in a POST body should be provided as an object, not a recursively JSON-encoded string.`);
    }
    if (value !== undefined && value !== null && !isRecord(value)) return refused(`\`${field}\` in a POST body must be an object if provided.`);
  }
  if (body.operationName !== undefined && body.operationName !== null && typeof body.operationName !== 'string') {
    return refused('`operationName` in a POST body must be a string if provided.');
  }
  return undefined;
}

/**
 * A GET request's GraphQL parameters (`query`, `operationName`, and `variables` and
 * `extensions` as JSON), or undefined when it carries none (a browser opening the landing page).
 */
export function graphqlRequestFromSearch(search: URLSearchParams): GraphQLRequestBody | HttpRefusal | undefined {
  const query = search.get('query');
  const rawVariables = search.get('variables');
  const rawExtensions = search.get('extensions');
  if (query === null && rawExtensions === null) return undefined;
  type Parsed = { readonly value: Record<string, unknown> | undefined } | { readonly refusal: HttpRefusal };
  const json = (field: 'variables' | 'extensions', raw: string | null): Parsed => {
    if (raw === null || raw === '') return { value: undefined };
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return { refusal: refused(`\`${field}\` in a GET request must be JSON.`) };
    }
    return isRecord(value) ? { value } : { refusal: refused(`\`${field}\` in a GET request must be a JSON object.`) };
  };
  const variables = json('variables', rawVariables);
  if ('refusal' in variables) return variables.refusal;
  const extensions = json('extensions', rawExtensions);
  if ('refusal' in extensions) return extensions.refusal;
  // Absent fields are null, never undefined: Apollo Server refuses an undefined one in a body.
  return {
    ...(query !== null ? { query } : {}),
    operationName: search.get('operationName'),
    variables: variables.value ?? null,
    extensions: extensions.value ?? null,
  };
}
