import type { FetchDataKeyRenamer } from '@apollo/query-planner';
import type { GraphQLSchema } from 'graphql';
import { ownValue, setOwnValue } from './ownProperties';
import type { ResponsePath } from './responseError';
import { fragmentCondition, isOfType } from './typeConditions';

type JsonObject = Record<string, unknown>;

const PARENT = '..';

/**
 * The object path a context rewrite starts from: each leading `..` leaves the field the path
 * is under (and the list indexes below it), so from `posts.2.author` one `..` is `posts.2`.
 * Null when the rewrite climbs above the root.
 */
function startOf(entityPath: ResponsePath, rewritePath: readonly string[]): { base: ResponsePath; rest: readonly string[] } | null {
  const base = [...entityPath];
  let step = 0;
  while (rewritePath[step] === PARENT) {
    while (typeof base[base.length - 1] === 'number') base.pop();
    if (base.length === 0) return null;
    base.pop();
    step += 1;
  }
  return { base, rest: rewritePath.slice(step) };
}

/** The value the rest of a context path leads to from `value`; undefined where it leads nowhere. */
function valueAlong(schema: GraphQLSchema, value: unknown, rest: readonly string[], step: number): unknown {
  if (step === rest.length) return value;
  if (value === null || value === undefined || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) return value.map((item: unknown) => valueAlong(schema, item, rest, step) ?? null);
  const element = rest[step] as string;
  const condition = fragmentCondition(element);
  if (condition !== undefined) return isOfType(schema, value as JsonObject, condition, true) ? valueAlong(schema, value, rest, step + 1) : undefined;
  return valueAlong(schema, ownValue(value as JsonObject, element), rest, step + 1);
}

/**
 * `@fromContext` (federation 2.8): a field's argument takes its value from an ancestor that
 * sets a `@context`. The planner fetches that value with the ancestor and, on the entity fetch
 * of the field, names the argument's variable (`renameKeyTo`, e.g. `contextualArgument_1_0`)
 * and where the value lies relative to each entity (the KeyRenamer's path: `..` up, `... on T`
 * for the type that sets the context, then the field). Several paths may name one variable
 * (one per type that can set the context): the first that leads to a value gives it.
 *
 * The variables of one entity, by name; a variable whose value is nowhere is left out (the
 * subgraph then answers as for an argument not given, with its own error if it needs one).
 */
export function contextArgumentsOf(
  schema: GraphQLSchema,
  data: JsonObject,
  entityPath: ResponsePath,
  rewrites: readonly FetchDataKeyRenamer[],
): JsonObject {
  const found: JsonObject = {};
  for (const rewrite of rewrites) {
    if (Object.hasOwn(found, rewrite.renameKeyTo)) continue;
    const start = startOf(entityPath, rewrite.path);
    if (!start) continue;
    let at: unknown = data;
    for (const key of start.base) {
      if (at === null || typeof at !== 'object') {
        at = undefined;
        break;
      }
      at = typeof key === 'number' ? (Array.isArray(at) ? (at[key] as unknown) : undefined) : Array.isArray(at) ? undefined : ownValue(at as JsonObject, key);
    }
    const value = valueAlong(schema, at, start.rest, 0);
    if (value !== undefined) setOwnValue(found, rewrite.renameKeyTo, value);
  }
  return found;
}
