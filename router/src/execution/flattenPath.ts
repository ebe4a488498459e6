import type { GraphQLSchema } from 'graphql';
import { ownValue } from './ownProperties';
import type { ResponsePath } from './responseError';
import { fragmentCondition, isOfType } from './typeConditions';

type JsonObject = Record<string, unknown>;

/**
 * One element of a Flatten node's path, as Apollo's planner writes it: a response key, `@`
 * (step into a list), either followed by `|[A,B]` when only objects of those types go on
 * (type-conditioned fetching), or `... on T` (only objects of type T go on, without a step).
 * The empty key is the object the path starts from (where the planner conditions the root).
 */
export type FlattenStep =
  | { readonly kind: 'key'; readonly key: string; readonly types: readonly string[] | null }
  | { readonly kind: 'list'; readonly types: readonly string[] | null }
  | { readonly kind: 'fragment'; readonly type: string };

function stepOf(element: string | number): FlattenStep {
  const text = String(element);
  const condition = fragmentCondition(text);
  if (condition !== undefined) return { kind: 'fragment', type: condition };
  const conditions = text.indexOf('|[');
  const name = conditions < 0 ? text : text.slice(0, conditions);
  const types = conditions < 0 || !text.endsWith(']') ? null : text.slice(conditions + 2, -1).split(',').map((type) => type.trim()).filter((type) => type.length > 0);
  return name === '@' ? { kind: 'list', types } : { kind: 'key', key: name, types };
}

/** The steps of a plan path, read once per fetch. */
export function flattenSteps(path: readonly (string | number)[]): FlattenStep[] {
  return path.map(stepOf);
}

/** The response keys of a path (what an error under a root fetch at this path is prefixed with). */
export function responseKeysOf(steps: readonly FlattenStep[]): string[] {
  return steps.flatMap((step) => (step.kind === 'key' && step.key !== '' ? [step.key] : []));
}

/** A value goes on past a `|[A,B]` condition only as an object whose `__typename` is one of them. */
function passes(value: unknown, types: readonly string[] | null): boolean {
  if (!types) return true;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const typename = ownValue(value as JsonObject, '__typename');
  return typeof typename === 'string' && types.includes(typename);
}

/**
 * The objects at a flatten path (lists stepped into, nulls skipped), with their response paths
 * when `paths` is given. A list met where the path names a key is stepped into as well, as
 * at the end of the path: its items are the objects.
 */
export function collectAt(
  schema: GraphQLSchema,
  value: unknown,
  steps: readonly FlattenStep[],
  step: number,
  at: ResponsePath,
  objects: JsonObject[],
  paths: ResponsePath[] | null,
): void {
  if (value === null || value === undefined || typeof value !== 'object') return;
  if (Array.isArray(value) && (step === steps.length || steps[step]?.kind !== 'list')) {
    value.forEach((item, index) => collectAt(schema, item, steps, step, paths ? [...at, index] : at, objects, paths));
    return;
  }
  if (step === steps.length) {
    objects.push(value as JsonObject);
    paths?.push(at);
    return;
  }
  const current = steps[step] as FlattenStep;
  switch (current.kind) {
    case 'list':
      if (!Array.isArray(value)) return;
      value.forEach((item, index) => {
        if (passes(item, current.types)) collectAt(schema, item, steps, step + 1, paths ? [...at, index] : at, objects, paths);
      });
      return;
    case 'fragment':
      if (isOfType(schema, value as JsonObject, current.type, true)) collectAt(schema, value, steps, step + 1, at, objects, paths);
      return;
    case 'key': {
      if (current.key === '') {
        if (passes(value, current.types)) collectAt(schema, value, steps, step + 1, at, objects, paths);
        return;
      }
      const next = ownValue(value as JsonObject, current.key);
      if (passes(next, current.types)) collectAt(schema, next, steps, step + 1, paths ? [...at, current.key] : at, objects, paths);
    }
  }
}
