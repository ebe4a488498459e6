import type { FetchDataRewrite } from '@apollo/query-planner';
import type { GraphQLSchema } from 'graphql';
import { ownValue, setOwnValue } from './ownProperties';
import { fragmentCondition, isOfType } from './typeConditions';

type JsonObject = Record<string, unknown>;

/**
 * The planner's data rewrites on a fetch (FetchNode.inputRewrites / outputRewrites):
 *
 * - a ValueSetter sets a key: on the representations sent to an `@interfaceObject` subgraph
 *   (or to a subgraph that knows the type as an interface), `__typename` becomes the
 *   interface's name, since that subgraph has no type of the concrete name to resolve;
 * - a KeyRenamer moves a key: where the planner aliased fields of one response name whose
 *   types cannot merge in one subgraph operation (`name__alias_0`), the answer gets its
 *   response name back before it is merged.
 *
 * A rewrite's path leads to the key from the value it applies to: field names, and
 * `... on T` steps that go on only for objects of type T (or without `__typename`, as
 * the planner leaves it out where the type is certain). Lists are rewritten item by item.
 * A path that does not match leaves the value as it is.
 */
export function applyRewrites(schema: GraphQLSchema, rewrites: readonly FetchDataRewrite[] | undefined, value: unknown): void {
  if (!rewrites) return;
  for (const rewrite of rewrites) {
    const key = rewrite.path[rewrite.path.length - 1];
    // Every rewrite the planner writes ends at a key; anything else is left alone.
    if (key === undefined || fragmentCondition(key) !== undefined) continue;
    applyAt(schema, rewrite.path, 0, value, (object) => rewriteKey(rewrite, object, key));
  }
}

function rewriteKey(rewrite: FetchDataRewrite, object: JsonObject, key: string): void {
  if (rewrite.kind === 'ValueSetter') {
    setOwnValue(object, key, rewrite.setValueTo);
    return;
  }
  if (!Object.hasOwn(object, key)) return;
  // Null, 0 and false move too: the response name must carry whatever the subgraph answered.
  setOwnValue(object, rewrite.renameKeyTo, object[key]);
  delete object[key];
}

/** Calls `rewrite` on each object the path (all but its last element, the key) leads to. */
function applyAt(schema: GraphQLSchema, path: readonly string[], step: number, value: unknown, rewrite: (object: JsonObject) => void): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) applyAt(schema, path, step, item, rewrite);
    return;
  }
  const object = value as JsonObject;
  if (step === path.length - 1) {
    rewrite(object);
    return;
  }
  const element = path[step] as string;
  const condition = fragmentCondition(element);
  if (condition !== undefined) {
    if (isOfType(schema, object, condition, true)) applyAt(schema, path, step + 1, object, rewrite);
    return;
  }
  applyAt(schema, path, step + 1, ownValue(object, element), rewrite);
}
