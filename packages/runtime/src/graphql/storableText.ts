import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError, Kind, visit, type ASTNode, type DocumentNode } from 'graphql';

/**
 * PostgreSQL `text` cannot hold U+0000 (it fails with 22021 "invalid byte sequence for
 * encoding UTF8: 0x00"), and no field of ours means one. A NUL in a string argument, a
 * variable or a key of one is refused before any resolver runs, with BAD_USER_INPUT naming the
 * input, rather than failing in SQL as an internal error logged on every request.
 */
const NUL = '\u0000';

/** BAD_USER_INPUT naming the input; `status` for the HTTP answer (WebSocket errors carry none). */
export function unstorableTextError(field: string, status?: number): GraphQLError {
  return new GraphQLError(`Invalid input: ${field} contains a NUL character (U+0000), which text cannot hold`, {
    extensions: { code: 'BAD_USER_INPUT', field, ...(status ? { http: { status } } : {}) },
  });
}

/** The input (argument path or variable path) holding a NUL, if any. */
export function unstorableTextIn(document: DocumentNode, variables: Readonly<Record<string, unknown>> | null | undefined): string | null {
  return literalWithNul(document) ?? variableWithNul(variables ?? {});
}

/** The first string literal holding a NUL, as `argument.field.path`; per document, worked out once. */
const literalFindings = new WeakMap<DocumentNode, string | null>();

function literalWithNul(document: DocumentNode): string | null {
  const known = literalFindings.get(document);
  if (known !== undefined) return known;
  // GraphQL source cannot hold a raw NUL; a literal gets one only from a \u escape.
  if (document.loc && !document.loc.source.body.includes('\\u')) return null;
  let found: string | null = null;
  visit(document, {
    StringValue(node, _key, parent, _path, ancestors) {
      // `ancestors` stops above the parent, which is the argument or object field itself.
      if (found === null && node.value.includes(NUL)) found = literalPath(parent ? [...ancestors, parent] : ancestors);
    },
  });
  literalFindings.set(document, found);
  return found;
}

function literalPath(ancestors: readonly (ASTNode | readonly ASTNode[])[]): string {
  const names: string[] = [];
  for (const ancestor of ancestors) {
    if (Array.isArray(ancestor)) continue;
    const node = ancestor as ASTNode;
    if (node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD) names.push(node.name.value);
  }
  return names.join('.') || 'a string literal';
}

/** The variable path of the first string (or object key) holding a NUL. */
function variableWithNul(variables: Readonly<Record<string, unknown>>): string | null {
  for (const [name, value] of Object.entries(variables)) {
    const found = name.includes(NUL) ? 'a variable name' : valueWithNul(value, name);
    if (found) return found;
  }
  return null;
}

function valueWithNul(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes(NUL) ? path : null;
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      const found = valueWithNul(value[index], `${path}.${index}`);
      if (found) return found;
    }
    return null;
  }
  for (const [key, entry] of Object.entries(value)) {
    if (key.includes(NUL)) return path;
    const found = valueWithNul(entry, `${path}.${key}`);
    if (found) return found;
  }
  return null;
}

export function refuseUnstorableText<Context extends BaseContext>(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          const field = unstorableTextIn(document, request.variables);
          if (field) throw unstorableTextError(field, 400);
        },
      };
    },
  };
}
