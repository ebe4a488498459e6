import type { Viewer } from '@booking/runtime';
import {
  getNamedType,
  GraphQLError,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import type { AccessRequirement, AccessRequirements } from './accessRequirements';

export interface AuthorizedOperation {
  /** The operation with every field the viewer may not see removed; the input itself when none was. */
  readonly document: DocumentNode;
  readonly errors: readonly GraphQLError[];
  /** True when nothing of the operation is left to execute. */
  readonly empty: boolean;
  /** The rewritten operation, when it was rewritten. */
  readonly operation?: OperationDefinitionNode;
}

function satisfied(requirement: AccessRequirement, viewer: Viewer | null): boolean {
  if (requirement.authenticated && !viewer) return false;
  if (!requirement.scopeSets) return true;
  const held = new Set(viewer?.scopes ?? []);
  return requirement.scopeSets.some((set) => set.every((scope) => held.has(scope)));
}

function describe(requirement: AccessRequirement): string {
  if (!requirement.scopeSets) return 'requires a signed-in user';
  return `requires scope ${requirement.scopeSets.map((set) => set.join(' + ')).join(' or ')}`;
}

/**
 * Applies `@authenticated` / `@requiresScopes` the way Apollo Router does: each unauthorized
 * field is removed from the operation before planning, with an error at its response path,
 * and the rest of the operation runs. Fragments are inlined so every path is concrete.
 */
export function authorizeOperation(
  schema: GraphQLSchema,
  requirements: AccessRequirements,
  document: DocumentNode,
  operationName: string | null | undefined,
  viewer: Viewer | null,
): AuthorizedOperation {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((op) => op.name?.value === operationName) : operations[0];
  const rootType = operation ? schema.getRootType(operation.operation) : undefined;
  if (!operation || !rootType || requirements.size === 0) return { document, errors: [], empty: false };

  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  const errors: GraphQLError[] = [];
  let changed = false;

  function fieldRequirement(parent: GraphQLCompositeType, field: FieldNode): AccessRequirement[] {
    const name = field.name.value;
    if (name.startsWith('__')) return [];
    const found: AccessRequirement[] = [];
    const own = requirements.get(`${parent.name}.${name}`);
    if (own) found.push(own);
    // An interface field is as protected as the most protected implementation of it.
    if (isInterfaceType(parent)) {
      for (const implementation of schema.getPossibleTypes(parent)) {
        const implementationRule = requirements.get(`${implementation.name}.${name}`);
        if (implementationRule) found.push(implementationRule);
      }
    }
    const definition = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
    if (definition) {
      const returned = requirements.get(getNamedType(definition.type).name);
      if (returned) found.push(returned);
    }
    return found;
  }

  function filter(parent: GraphQLCompositeType, selectionSet: SelectionSetNode, path: readonly string[]): SelectionSetNode | null {
    const kept: SelectionNode[] = [];
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const responseKey = selection.alias?.value ?? selection.name.value;
        const fieldPath = [...path, responseKey];
        const denied = fieldRequirement(parent, selection).find((requirement) => !satisfied(requirement, viewer));
        if (denied) {
          changed = true;
          const coordinate = `${parent.name}.${selection.name.value}`;
          errors.push(
            viewer
              ? new GraphQLError(`Forbidden: ${coordinate} ${describe(denied)}`, { path: fieldPath, extensions: { code: 'FORBIDDEN' } })
              : new GraphQLError(`Unauthenticated: ${coordinate} ${describe(denied)}`, {
                  path: fieldPath,
                  extensions: { code: 'UNAUTHENTICATED' },
                }),
          );
          continue;
        }
        if (!selection.selectionSet) {
          kept.push(selection);
          continue;
        }
        const definition = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
        const childType = definition ? getNamedType(definition.type) : undefined;
        if (!childType || !isCompositeType(childType)) {
          kept.push(selection);
          continue;
        }
        const childSelections = filter(childType, selection.selectionSet, fieldPath);
        if (childSelections) kept.push(childSelections === selection.selectionSet ? selection : { ...selection, selectionSet: childSelections });
        else changed = true;
        continue;
      }
      const fragment: { typeName?: string; selectionSet: SelectionSetNode; node: SelectionNode } =
        selection.kind === Kind.INLINE_FRAGMENT
          ? { typeName: selection.typeCondition?.name.value, selectionSet: selection.selectionSet, node: selection }
          : (() => {
              const definition = fragments.get(selection.name.value);
              if (!definition) return { selectionSet: { kind: Kind.SELECTION_SET, selections: [] }, node: selection };
              return { typeName: definition.typeCondition.name.value, selectionSet: definition.selectionSet, node: selection };
            })();
      const conditionType = fragment.typeName ? schema.getType(fragment.typeName) : parent;
      const scope = conditionType && isCompositeType(conditionType) ? conditionType : parent;
      const inner = filter(scope, fragment.selectionSet, path);
      if (!inner) {
        changed = true;
        continue;
      }
      if (selection.kind === Kind.INLINE_FRAGMENT && inner === selection.selectionSet) {
        kept.push(selection);
        continue;
      }
      // Named spreads become inline fragments, keeping their type condition and directives.
      const inline: InlineFragmentNode = {
        kind: Kind.INLINE_FRAGMENT,
        typeCondition: fragment.typeName ? { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: fragment.typeName } } : undefined,
        directives: selection.directives,
        selectionSet: inner,
      };
      kept.push(inline);
    }
    if (kept.length === 0) return null;
    const unchanged = kept.length === selectionSet.selections.length && kept.every((node, index) => node === selectionSet.selections[index]);
    return unchanged ? selectionSet : { ...selectionSet, selections: kept };
  }

  const filtered = filter(rootType, operation.selectionSet, []);
  if (!changed) return { document, errors: [], empty: false };
  if (!filtered) return { document, errors, empty: true };
  const rewritten: OperationDefinitionNode = { ...operation, selectionSet: filtered };
  return { document: { kind: Kind.DOCUMENT, definitions: [rewritten] }, errors, empty: false, operation: rewritten };
}

