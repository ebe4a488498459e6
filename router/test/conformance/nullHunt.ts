import { parse, TypeInfo, visit, visitWithTypeInfo, type GraphQLSchema } from 'graphql';
import type { ConformanceResponse } from './harness';

type Path = readonly (string | number)[];

/** `a` is `b` or one of its ancestors. */
function isPrefix(a: Path, b: Path): boolean {
  return a.length <= b.length && a.every((key, index) => key === b[index]);
}

/** Every `null` in the data, by path (the data itself when it is null). */
function nullsIn(value: unknown, path: (string | number)[], found: Path[]): void {
  if (value === null) {
    found.push([...path]);
    return;
  }
  if (typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => nullsIn(item, [...path, index], found));
    return;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) nullsIn(item, [...path, key], found);
}

/**
 * The schema coordinates (`Type.field`) each response-key path of an operation can name, list
 * indices left out: `reviews.product.name` → Product.name. The parent type is the one the
 * selection is written against (a fragment's type condition inside abstract types).
 */
function coordinatesByKeyPath(schema: GraphQLSchema, operation: string): Map<string, Set<string>> {
  const typeInfo = new TypeInfo(schema);
  const byKeyPath = new Map<string, Set<string>>();
  const keys: string[] = [];
  visit(
    parse(operation),
    visitWithTypeInfo(typeInfo, {
      Field: {
        enter(node) {
          keys.push(node.alias?.value ?? node.name.value);
          const parent = typeInfo.getParentType();
          const keyPath = keys.join('.');
          const coordinates = byKeyPath.get(keyPath) ?? new Set<string>();
          if (parent) coordinates.add(`${parent.name}.${node.name.value}`);
          byKeyPath.set(keyPath, coordinates);
        },
        leave() {
          keys.pop();
        },
      },
      // A fragment's fields sit at the key path of the spread, not at the document's root.
      FragmentDefinition: () => false,
    }),
  );
  return byKeyPath;
}

/**
 * The `null`s of a response that nothing explains. A null is explained by an error (in
 * `errors`, or a value-completion error in `extensions.valueCompletion`, where Apollo's
 * executors report shaping problems) at its path or above it (the failed field's value and
 * everything below it are null), or below it (GraphQL's null propagation: a non-null field's
 * null nulls its nearest nullable ancestor, the error keeps the field's own path), or by an
 * error without a path. A field the subgraph itself resolved to null on purpose is explained
 * by the fixture listing its coordinate (`Type.field`) in `legitimateNulls`.
 *
 * Fragments are inlined by the caller's operations (spreads are not followed here): fixture
 * operations that spread named fragments must not return legitimate nulls inside them.
 */
export function unexplainedNulls(
  apiSchema: GraphQLSchema,
  operation: string,
  response: ConformanceResponse,
  legitimateNulls: readonly string[] = [],
): Path[] {
  const nulls: Path[] = [];
  if (response.data === null) nulls.push([]);
  else if (response.data !== undefined) nullsIn(response.data, [], nulls);
  if (nulls.length === 0) return [];
  const valueCompletion = (response.extensions?.valueCompletion ?? []) as ConformanceResponse['errors'];
  const explanations = [...(response.errors ?? []), ...(valueCompletion ?? [])];
  if (explanations.some((error) => !error.path)) return [];
  const errorPaths = explanations.map((error) => error.path as Path);
  const coordinates = legitimateNulls.length > 0 ? coordinatesByKeyPath(apiSchema, operation) : new Map<string, Set<string>>();
  return nulls.filter((path) => {
    if (errorPaths.some((errorPath) => isPrefix(errorPath, path) || isPrefix(path, errorPath))) return false;
    const last = path[path.length - 1];
    if (typeof last !== 'string') return true; // a null list item is never a subgraph's plain answer here
    const keyPath = path.filter((key): key is string => typeof key === 'string').join('.');
    return ![...(coordinates.get(keyPath) ?? [])].some((coordinate) => legitimateNulls.includes(coordinate));
  });
}
