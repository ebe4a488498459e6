import {
  getNamedType,
  isCompositeType,
  Kind,
  parse,
  type ConstDirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
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

/**
 * The policy of a selection on `parentType` whose own max age is `parentMaxAge`, by Apollo's
 * rules: a field's hint wins; a field returning an object type takes that type's hint, or,
 * with neither, max age 0 (unless `inheritMaxAge`); a scalar field inherits its parent's. The
 * result is the smallest max age met and PRIVATE if any hint says so.
 */
export function selectionPolicy(
  schema: GraphQLSchema,
  hints: CacheControlHints,
  parentType: GraphQLCompositeType,
  parentMaxAge: number,
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): CachePolicy {
  let maxAge = parentMaxAge;
  let scope: CachePolicy['scope'] = 'PUBLIC';
  const visit = (type: GraphQLCompositeType, inherited: number, selections: SelectionSetNode): void => {
    for (const selection of selections.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        const fields = 'getFields' in type ? type.getFields() : undefined;
        const field = fields?.[selection.name.value];
        if (!field) {
          maxAge = 0;
          continue;
        }
        const fieldHint = hints.hint(`${type.name}.${field.name}`);
        const returned = getNamedType(field.type);
        const typeHint = isCompositeType(returned) ? hints.hint(returned.name) : undefined;
        if (fieldHint?.scope === 'PRIVATE' || typeHint?.scope === 'PRIVATE') scope = 'PRIVATE';
        let fieldMaxAge: number;
        if (fieldHint?.maxAge !== undefined) fieldMaxAge = fieldHint.maxAge;
        else if (fieldHint?.inheritMaxAge) fieldMaxAge = inherited;
        else if (isCompositeType(returned)) fieldMaxAge = typeHint?.maxAge ?? (typeHint?.inheritMaxAge ? inherited : 0);
        else fieldMaxAge = inherited;
        maxAge = Math.min(maxAge, fieldMaxAge);
        if (selection.selectionSet && isCompositeType(returned)) visit(returned, fieldMaxAge, selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (condition && isCompositeType(condition)) visit(condition, inherited, selection.selectionSet);
      } else {
        const fragment = fragments.get(selection.name.value);
        const condition = fragment ? schema.getType(fragment.typeCondition.name.value) : undefined;
        if (fragment && condition && isCompositeType(condition)) visit(condition, inherited, fragment.selectionSet);
        else maxAge = 0;
      }
    }
  };
  visit(parentType, parentMaxAge, selectionSet);
  return { maxAge, scope };
}
