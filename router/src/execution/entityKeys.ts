import { Kind, parse, type DocumentNode, type SelectionSetNode } from 'graphql';

/**
 * The `@key`s of each entity type, read from the supergraph's `@join__type(key:)`, in
 * supergraph order. The entity cache names an entity by the first of its type's keys that a
 * representation carries, so an invalidation event naming that key (`{ id }` for every type
 * here) reaches every entry of the entity, whichever subgraph's fetch stored it.
 */
export interface EntityKeys {
  /** The key fields of `representation` (with their nested selections), or null: not an entity we can name. */
  keyOf(typename: string, representation: Readonly<Record<string, unknown>>): Record<string, unknown> | null;
  /** Whether the type has a `@key` (its objects are entities an invalidation can name). */
  isEntity(typename: string): boolean;
}

function fieldSet(text: string): SelectionSetNode | null {
  try {
    const document = parse(`{${text}}`, { noLocation: true });
    const operation = document.definitions[0];
    return operation?.kind === Kind.OPERATION_DEFINITION ? operation.selectionSet : null;
  } catch {
    return null;
  }
}

/** The fields of `selection` in `value`, or null when one is missing (or null: no key). */
function pick(value: Readonly<Record<string, unknown>>, selection: SelectionSetNode): Record<string, unknown> | null {
  const picked: Record<string, unknown> = {};
  for (const node of selection.selections) {
    if (node.kind !== Kind.FIELD) return null;
    const name = node.name.value;
    if (!Object.prototype.hasOwnProperty.call(value, name)) return null;
    const field = value[name];
    if (field === null || field === undefined) return null;
    if (node.selectionSet) {
      if (typeof field !== 'object' || Array.isArray(field)) return null;
      const inner = pick(field as Record<string, unknown>, node.selectionSet);
      if (!inner) return null;
      picked[name] = inner;
    } else {
      picked[name] = field;
    }
  }
  return picked;
}

export function readEntityKeys(supergraphSdl: string | DocumentNode): EntityKeys {
  const document = typeof supergraphSdl === 'string' ? parse(supergraphSdl) : supergraphSdl;
  const keys = new Map<string, SelectionSetNode[]>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.INTERFACE_TYPE_DEFINITION) continue;
    const seen = new Set<string>();
    for (const directive of definition.directives ?? []) {
      if (directive.name.value !== 'join__type') continue;
      const key = directive.arguments?.find((argument) => argument.name.value === 'key')?.value;
      if (key?.kind !== Kind.STRING || seen.has(key.value)) continue;
      seen.add(key.value);
      const selection = fieldSet(key.value);
      if (!selection) continue;
      const list = keys.get(definition.name.value) ?? [];
      list.push(selection);
      keys.set(definition.name.value, list);
    }
  }
  return {
    isEntity: (typename) => keys.has(typename),
    keyOf(typename, representation) {
      for (const selection of keys.get(typename) ?? []) {
        const key = pick(representation, selection);
        if (key) return key;
      }
      return null;
    },
  };
}
