import type { QueryPlanSelectionNode } from '@apollo/query-planner';
import type { GraphQLSchema } from 'graphql';
import { representationKey } from '../planning/renamedRequires';
import { ownValue, setOwnValue } from './ownProperties';
import { isOfType } from './typeConditions';

type JsonObject = Record<string, unknown>;

/** The representation `requires` asks for, or null when the entity lacks a required field. */
export function representationOf(schema: GraphQLSchema, source: JsonObject, selections: readonly QueryPlanSelectionNode[]): JsonObject | null {
  const result: JsonObject = {};
  for (const selection of selections) {
    if (selection.kind === 'Field') {
      const name = selection.alias ?? selection.name;
      const value = ownValue(source, name);
      if (value === undefined) return null;
      // Hive's plans may send a field under another key than the data's (planning/renamedRequires).
      const key = representationKey(selection);
      if (selection.selections && value !== null) {
        if (Array.isArray(value)) {
          setOwnValue(
            result,
            key,
            value.map((item: unknown) =>
              item !== null && typeof item === 'object' ? representationOf(schema, item as JsonObject, selection.selections ?? []) : item,
            ),
          );
        } else {
          setOwnValue(result, key, representationOf(schema, value as JsonObject, selection.selections));
        }
      } else {
        setOwnValue(result, key, value);
      }
    } else if (!selection.typeCondition || isOfType(schema, source, selection.typeCondition, false)) {
      const inner = representationOf(schema, source, selection.selections);
      // Copied as own properties: Object.assign would set the prototype for a `__proto__` key.
      if (inner) for (const key of Object.keys(inner)) setOwnValue(result, key, inner[key]);
    }
  }
  return result;
}


/** One required leaf field: where the entity holds it, and its key in the text, quoted, with its colon. */
interface RequiredLeaf {
  readonly dataKey: string;
  readonly textKey: string;
  readonly isTypename: boolean;
}

/** Leaves at the top of `requires` (a missing one fails the representation) and under one type condition (a missing one drops that fragment). */
interface RequiredBranch {
  readonly condition: string | undefined;
  readonly leaves: readonly RequiredLeaf[];
}

/**
 * `requires` made only of leaf fields, at the top and in inline fragments (the planner's
 * `... on T { __typename id }`), with no key written twice: its representation's JSON text can
 * be written straight from the entity, with no object built and walked again by
 * JSON.stringify. Null for any other `requires` (nested selections, a key in two branches).
 */
export type FlatRequires = readonly RequiredBranch[];

const flatRequires = new WeakMap<readonly QueryPlanSelectionNode[], FlatRequires | null>();

function leafOf(selection: QueryPlanSelectionNode): RequiredLeaf | null {
  if (selection.kind !== 'Field' || selection.selections) return null;
  const key = representationKey(selection);
  return { dataKey: selection.alias ?? selection.name, textKey: `${JSON.stringify(key)}:`, isTypename: key === '__typename' };
}

function compileFlat(selections: readonly QueryPlanSelectionNode[]): FlatRequires | null {
  const branches: RequiredBranch[] = [];
  const written = new Set<string>();
  let top: RequiredLeaf[] | undefined;
  for (const selection of selections) {
    let leaves: RequiredLeaf[];
    if (selection.kind === 'Field') {
      const leaf = leafOf(selection);
      if (!leaf) return null;
      // Consecutive top-level fields share a branch; order is kept either way.
      if (!top) {
        top = [];
        branches.push({ condition: undefined, leaves: top });
      }
      leaves = [leaf];
      top.push(leaf);
    } else {
      top = undefined;
      const inner = selection.selections.map(leafOf);
      if (inner.some((leaf) => leaf === null)) return null;
      leaves = inner as RequiredLeaf[];
      // An inline fragment without a type condition behaves as one whose condition holds; it
      // still drops out whole when one of its fields is missing, so it is a branch of its own.
      branches.push({ condition: selection.typeCondition ?? '', leaves });
    }
    for (const leaf of leaves) {
      if (written.has(leaf.textKey)) return null;
      written.add(leaf.textKey);
    }
  }
  return branches;
}

/** The flat form of `requires`, worked out once per fetch node's `requires` (plans are cached); null when it has none. */
export function flatRequiresOf(selections: readonly QueryPlanSelectionNode[]): FlatRequires | null {
  let flat = flatRequires.get(selections);
  if (flat === undefined) {
    flat = compileFlat(selections);
    flatRequires.set(selections, flat);
  }
  return flat;
}

/**
 * The JSON text `JSON.stringify(representationOf(…))` gives for flat `requires`, written from the
 * entity directly; null when the entity lacks a required top-level field or the representation
 * has no `__typename` (such an entity is not fetched).
 */
export function representationText(schema: GraphQLSchema, source: JsonObject, flat: FlatRequires): string | null {
  let text = '';
  let typename: unknown;
  for (const branch of flat) {
    if (branch.condition === undefined) {
      for (const leaf of branch.leaves) {
        const value = ownValue(source, leaf.dataKey);
        if (value === undefined) return null;
        if (leaf.isTypename) typename = value;
        text += `${text === '' ? '' : ','}${leaf.textKey}${JSON.stringify(value)}`;
      }
      continue;
    }
    if (branch.condition !== '' && !isOfType(schema, source, branch.condition, false)) continue;
    let part = '';
    let partTypename: unknown;
    let complete = true;
    for (const leaf of branch.leaves) {
      const value = ownValue(source, leaf.dataKey);
      if (value === undefined) {
        complete = false;
        break;
      }
      if (leaf.isTypename) partTypename = value;
      part += `${part === '' ? '' : ','}${leaf.textKey}${JSON.stringify(value)}`;
    }
    if (!complete || part === '') continue;
    if (partTypename !== undefined) typename = partTypename;
    text += `${text === '' ? '' : ','}${part}`;
  }
  return typename ? `{${text}}` : null;
}
