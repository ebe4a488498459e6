import {
  getNamedType,
  isCompositeType,
  Kind,
  parse,
  type ConstDirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  OperationTypeNode,
  type GraphQLCompositeType,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { specLinks } from '../linkedSpecs';

/** `@cacheControl` on a type or field (Apollo's convention). */
export interface CacheHint {
  readonly maxAge?: number;
  readonly scope?: 'PUBLIC' | 'PRIVATE';
  readonly inheritMaxAge?: boolean;
}

/** How long a result may be cached and for whom; maxAge 0: not at all. */
export interface CachePolicy {
  readonly maxAge: number;
  readonly scope: 'PUBLIC' | 'PRIVATE';
}

/**
 * The `@cacheControl` hints composed into a supergraph. Subgraphs declare the directive under
 * a `@link` of their own and `@composeDirective` it, so the supergraph carries it under that
 * link; it may be imported under another name (`{ name: "@cacheControl", as: "@cache" }`).
 * Keys are `Type` and `Type.field`.
 */
export interface CacheControlHints {
  readonly isEmpty: boolean;
  hint(coordinate: string): CacheHint | undefined;
}

function directiveNames(document: DocumentNode): Set<string> {
  const names = new Set(['cacheControl']);
  for (const link of specLinks(document, (url) => /\/cacheControl\/v[0-9.]+$/.test(url))) {
    const alias = link.renamed.get('cacheControl');
    if (alias) names.add(alias);
  }
  return names;
}

function hintOf(directive: ConstDirectiveNode): CacheHint {
  const argument = (name: string) => directive.arguments?.find((candidate) => candidate.name.value === name)?.value;
  const maxAge = argument('maxAge');
  const scope = argument('scope');
  const inherit = argument('inheritMaxAge');
  return {
    ...(maxAge?.kind === Kind.INT ? { maxAge: Math.max(0, Number(maxAge.value)) } : {}),
    ...(scope?.kind === Kind.ENUM && (scope.value === 'PUBLIC' || scope.value === 'PRIVATE') ? { scope: scope.value } : {}),
    ...(inherit?.kind === Kind.BOOLEAN && inherit.value ? { inheritMaxAge: true } : {}),
  };
}

/** Reads the hints from a supergraph; a supergraph without any yields none (nothing is cacheable). */
export function readCacheControlHints(supergraphSdl: string | DocumentNode): CacheControlHints {
  const document = typeof supergraphSdl === 'string' ? parse(supergraphSdl) : supergraphSdl;
  const names = directiveNames(document);
  const hints = new Map<string, CacheHint>();
  const read = (coordinate: string, directives: readonly ConstDirectiveNode[] | undefined) => {
    const directive = directives?.find((candidate) => names.has(candidate.name.value));
    if (directive) hints.set(coordinate, hintOf(directive));
  };
  // Hints sit on object, interface and union types and on their fields.
  for (const definition of document.definitions) {
    if (definition.kind === Kind.UNION_TYPE_DEFINITION) read(definition.name.value, definition.directives);
    if (!('fields' in definition) || definition.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION || definition.kind === Kind.INPUT_OBJECT_TYPE_EXTENSION) continue;
    read(definition.name.value, definition.directives);
    for (const field of definition.fields ?? []) read(`${definition.name.value}.${field.name.value}`, field.directives);
  }
  return { isEmpty: hints.size === 0, hint: (coordinate) => hints.get(coordinate) };
}

/** A field's own contribution by Apollo's rules; `maxAge` undefined: it restricts nothing. */
interface FieldHint {
  readonly maxAge: number | undefined;
  readonly scope: CachePolicy['scope'] | undefined;
  /** Without a max age of its own it counts as 0 (a composite field not inheriting). */
  readonly defaultsToZero: boolean;
}

/**
 * As Apollo Server's cache-control plugin reads a field: the returned type's hint first, the
 * field's own hint over it; `inheritMaxAge` on either (the field's only while the type gives no
 * max age) keeps a composite field from defaulting to 0.
 */
function fieldHintOf(hints: CacheControlHints, parentType: GraphQLCompositeType, fieldName: string, returned: GraphQLNamedType): FieldHint {
  let maxAge: number | undefined;
  let scope: CachePolicy['scope'] | undefined;
  let inherits = false;
  const composite = isCompositeType(returned);
  if (composite) {
    const typeHint = hints.hint(returned.name);
    maxAge = typeHint?.maxAge;
    scope = typeHint?.scope;
    inherits = typeHint?.inheritMaxAge === true;
  }
  const fieldHint = hints.hint(`${parentType.name}.${fieldName}`);
  if (fieldHint?.inheritMaxAge && maxAge === undefined) {
    inherits = true;
    scope = fieldHint.scope ?? scope;
  } else if (fieldHint) {
    maxAge = fieldHint.maxAge ?? maxAge;
    scope = fieldHint.scope ?? scope;
  }
  return { maxAge, scope, defaultsToZero: composite && !inherits };
}

/** Where a selection sits: under a parent whose policy has this max age, or at an operation's root. */
export type SelectionParent = number | 'root';

/**
 * The policy of a selection on `parentType`, by Apollo Server's rules: every field selected
 * restricts it (the smallest max age, PRIVATE if any field's policy is); a field without a max
 * age of its own restricts nothing (a scalar "inherits"), except that a field returning a
 * composite type (unless it inherits) and a root field count as max age 0. Fields are taken
 * from the document, not from a result, so a field is counted even when it resolves to null:
 * stricter than Apollo, never looser. `parent` 'root': nothing above restricts it, and a result
 * nothing restricted has max age Infinity (operationCachePolicy makes that 0, not cacheable).
 */
export function selectionPolicy(
  schema: GraphQLSchema,
  hints: CacheControlHints,
  parentType: GraphQLCompositeType,
  parent: SelectionParent,
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): CachePolicy {
  let maxAge = parent === 'root' ? Number.POSITIVE_INFINITY : parent;
  let scope: CachePolicy['scope'] = 'PUBLIC';
  // The policy only ever tightens (a minimum, PRIVATE wins), so a fragment walked once in a
  // position adds nothing the second time: walking each spread anew is exponential in a
  // fragment bomb (each fragment spreading the next twice), this stays linear in the document.
  const walkedFragments = new Set<string>();
  const visit = (type: GraphQLCompositeType, atRoot: boolean, selections: SelectionSetNode): void => {
    for (const selection of selections.selections) {
      if (selection.kind === Kind.FIELD) {
        // __typename and introspection: Apollo's plugin never sees them resolve.
        if (selection.name.value.startsWith('__')) continue;
        const fields = 'getFields' in type ? type.getFields() : undefined;
        const field = fields?.[selection.name.value];
        if (!field) {
          maxAge = 0;
          continue;
        }
        const returned = getNamedType(field.type);
        const hint = fieldHintOf(hints, type, field.name, returned);
        if (hint.scope === 'PRIVATE') scope = 'PRIVATE';
        const fieldMaxAge = hint.maxAge ?? (hint.defaultsToZero || atRoot ? 0 : undefined);
        if (fieldMaxAge !== undefined) maxAge = Math.min(maxAge, fieldMaxAge);
        if (selection.selectionSet && isCompositeType(returned)) visit(returned, false, selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (condition && isCompositeType(condition)) visit(condition, atRoot, selection.selectionSet);
      } else {
        const walked = `${selection.name.value}:${atRoot}`;
        if (walkedFragments.has(walked)) continue;
        walkedFragments.add(walked);
        const fragment = fragments.get(selection.name.value);
        const condition = fragment ? schema.getType(fragment.typeCondition.name.value) : undefined;
        if (fragment && condition && isCompositeType(condition)) visit(condition, atRoot, fragment.selectionSet);
        else maxAge = 0;
      }
    }
  };
  visit(parentType, parent === 'root', selectionSet);
  return { maxAge, scope };
}

/** Not cacheable by anyone. */
export const UNCACHEABLE: CachePolicy = { maxAge: 0, scope: 'PUBLIC' };

/**
 * The policy of a whole operation's result. Only queries are cacheable; a query whose fields
 * restrict nothing (only `__typename`) is not: Apollo leaves such a policy unrestricted and
 * caches nothing, and an Infinity max age must never reach a header or a TTL.
 */
export function operationCachePolicy(
  schema: GraphQLSchema,
  hints: CacheControlHints,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): CachePolicy {
  if (operation.operation !== OperationTypeNode.QUERY) return UNCACHEABLE;
  const rootType = schema.getQueryType();
  if (!rootType) return UNCACHEABLE;
  const policy = selectionPolicy(schema, hints, rootType, 'root', operation.selectionSet, fragments);
  return Number.isFinite(policy.maxAge) ? policy : { ...policy, maxAge: 0 };
}
