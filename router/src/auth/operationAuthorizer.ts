import type { Viewer } from '@booking/runtime/dist/router';
import {
  getNamedType,
  GraphQLError,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type DefinitionNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import type { AccessRequirement, AccessRequirements } from './accessRequirements';

export interface AuthorizedOperation {
  /** The operation with every field the viewer may not see removed; the input itself when none was. */
  readonly document: DocumentNode;
  /** One error per removed field at its path in the document, list indices unknown (see `denials`). */
  readonly errors: readonly GraphQLError[];
  /** The removed fields: `denials.errorsIn(data)` places their errors in a response's data. */
  readonly denials: DeniedFields;
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
 * Most response paths reported for one denied field coordinate. A document can reach one
 * field at exponentially many response paths (aliases doubling through fragments); past this
 * many, one more error without a path says that the list was cut short.
 */
export const MAX_PATHS_PER_COORDINATE = 100;

interface Denial {
  readonly coordinate: string;
  readonly requirement: AccessRequirement;
  readonly path: readonly string[];
}

/**
 * The denied fields under one selection set, as paths relative to it: each (coordinate, path)
 * once, in document order, at most MAX_PATHS_PER_COORDINATE paths per coordinate.
 */
class Denials {
  private readonly entries = new Map<string, Denial>();
  private readonly counts = new Map<string, number>();
  /** Coordinates with paths left out, and what they demand. */
  readonly truncated = new Map<string, AccessRequirement>();

  static readonly none = new Denials();

  get empty(): boolean {
    return this.entries.size === 0;
  }

  values(): IterableIterator<Denial> {
    return this.entries.values();
  }

  add(coordinate: string, requirement: AccessRequirement, path: readonly string[]): void {
    const key = `${coordinate} ${path.join('.')}`;
    if (this.entries.has(key)) return;
    const count = this.counts.get(coordinate) ?? 0;
    if (count >= MAX_PATHS_PER_COORDINATE) {
      this.truncated.set(coordinate, requirement);
      return;
    }
    this.counts.set(coordinate, count + 1);
    this.entries.set(key, { coordinate, requirement, path });
  }

  /** Everything denied under `other`, which sits at `prefix` below this selection set. */
  addAll(other: Denials, prefix: readonly string[]): void {
    for (const denial of other.entries.values()) {
      this.add(denial.coordinate, denial.requirement, prefix.length === 0 ? denial.path : [...prefix, ...denial.path]);
    }
    for (const [coordinate, requirement] of other.truncated) this.truncated.set(coordinate, requirement);
  }
}

interface Filtered {
  /** The selection set with every denied field removed; null when nothing is left. */
  readonly selectionSet: SelectionSetNode | null;
  readonly denials: Denials;
}

/**
 * Applies `@authenticated` / `@requiresScopes` the way Apollo Router does: each unauthorized
 * field is removed from the operation before planning, with an error at its response path,
 * and the rest of the operation runs.
 *
 * Named fragments stay fragments: each is filtered once (its type condition fixes what it
 * may select), rewritten once when it lost fields, and its denied fields are reported at
 * every response path it is spread at. Inlining them instead would make a document whose
 * fragments each spread the next twice exponential in time and memory.
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
  if (!operation || !rootType || requirements.size === 0) return { document, errors: [], denials: DeniedFields.none, empty: false };

  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  /** Each named fragment filtered once, whichever spread reaches it first. */
  const filteredFragments = new Map<string, Filtered>();
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

  function filterFragment(name: string): Filtered {
    const known = filteredFragments.get(name);
    if (known) return known;
    const definition = fragments.get(name);
    if (!definition) return { selectionSet: null, denials: Denials.none };
    // A placeholder first: a (invalid) fragment cycle ends here instead of recursing forever.
    filteredFragments.set(name, { selectionSet: definition.selectionSet, denials: Denials.none });
    const conditionType = schema.getType(definition.typeCondition.name.value);
    const filtered = conditionType && isCompositeType(conditionType) ? filter(conditionType, definition.selectionSet) : { selectionSet: definition.selectionSet, denials: Denials.none };
    filteredFragments.set(name, filtered);
    return filtered;
  }

  function filter(parent: GraphQLCompositeType, selectionSet: SelectionSetNode): Filtered {
    const kept: SelectionNode[] = [];
    let denials: Denials | undefined;
    const denied = () => (denials ??= new Denials());
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const responseKey = selection.alias?.value ?? selection.name.value;
        const requirement = fieldRequirement(parent, selection).find((candidate) => !satisfied(candidate, viewer));
        if (requirement) {
          changed = true;
          denied().add(`${parent.name}.${selection.name.value}`, requirement, [responseKey]);
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
        const child = filter(childType, selection.selectionSet);
        if (!child.denials.empty || child.denials.truncated.size > 0) denied().addAll(child.denials, [responseKey]);
        if (child.selectionSet) kept.push(child.selectionSet === selection.selectionSet ? selection : { ...selection, selectionSet: child.selectionSet });
        else changed = true;
        continue;
      }
      let inner: Filtered;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const conditionType = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        inner = filter(conditionType && isCompositeType(conditionType) ? conditionType : parent, selection.selectionSet);
      } else {
        inner = filterFragment(selection.name.value);
      }
      if (!inner.denials.empty || inner.denials.truncated.size > 0) denied().addAll(inner.denials, []);
      if (!inner.selectionSet) {
        changed = true;
        continue;
      }
      // A named spread stays as it is: its fragment definition is the one rewritten.
      kept.push(selection.kind === Kind.INLINE_FRAGMENT && inner.selectionSet !== selection.selectionSet ? { ...selection, selectionSet: inner.selectionSet } : selection);
    }
    const result = denials ?? Denials.none;
    if (kept.length === 0) return { selectionSet: null, denials: result };
    const unchanged = kept.length === selectionSet.selections.length && kept.every((node, index) => node === selectionSet.selections[index]);
    return { selectionSet: unchanged ? selectionSet : { ...selectionSet, selections: kept }, denials: result };
  }

  const filtered = filter(rootType, operation.selectionSet);
  if (!changed) return { document, errors: [], denials: DeniedFields.none, empty: false };
  const denials = new DeniedFields([...filtered.denials.values()], filtered.denials.truncated, viewer !== null);
  const errors = denials.errorsIn(null);
  if (!filtered.selectionSet) return { document, errors, denials, empty: true };
  const rewritten: OperationDefinitionNode = { ...operation, selectionSet: filtered.selectionSet };
  const definitions: DefinitionNode[] = [rewritten];
  for (const name of spreadsReachableFrom(rewritten.selectionSet, (fragment) => filteredFragments.get(fragment)?.selectionSet ?? null)) {
    const definition = fragments.get(name) as FragmentDefinitionNode;
    const selectionSet = filteredFragments.get(name)?.selectionSet as SelectionSetNode;
    definitions.push(selectionSet === definition.selectionSet ? definition : { ...definition, selectionSet });
  }
  return { document: { kind: Kind.DOCUMENT, definitions }, errors, denials, empty: false, operation: rewritten };
}

/** The names of the fragments a selection set uses, directly or through other fragments, each once. */
function spreadsReachableFrom(root: SelectionSetNode, fragment: (name: string) => SelectionSetNode | null): string[] {
  const found = new Set<string>();
  const pending: SelectionSetNode[] = [root];
  for (let selectionSet = pending.pop(); selectionSet; selectionSet = pending.pop()) {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const spread = found.has(name) ? null : fragment(name);
        if (spread) {
          found.add(name);
          pending.push(spread);
        }
      } else if (selection.selectionSet) {
        pending.push(selection.selectionSet);
      }
    }
  }
  return [...found];
}

type ResponsePath = (string | number)[];

/**
 * The fields removed from one operation for one kind of viewer, and the errors that report
 * them. The document gives each removed field's path without list indices; a response gives
 * the items: `errorsIn(data)` reports the field once for every item it was removed from
 * (`listings.edges.0.node.bookings`, `listings.edges.1.node.bookings`…), as the GraphQL spec
 * places errors, at most MAX_PATHS_PER_COORDINATE paths per field plus one error without a
 * path saying more were left out. Under a null parent or an empty list nothing was removed, so
 * nothing is reported there. Where the data stops before the field because its parent was
 * removed too (it had nothing else selected), the rest of the path is the document's.
 */
export class DeniedFields {
  static readonly none = new DeniedFields([], new Map(), false);

  constructor(
    private readonly denials: readonly Denial[],
    /** Coordinates the document already reaches at more paths than reported. */
    private readonly truncated: ReadonlyMap<string, AccessRequirement>,
    private readonly signedIn: boolean,
  ) {}

  get empty(): boolean {
    return this.denials.length === 0 && this.truncated.size === 0;
  }

  /** The errors for a response with this data; with no data (nothing ran), at the document's paths. */
  errorsIn(data: unknown): GraphQLError[] {
    if (this.empty) return [];
    const counts = new Map<string, number>();
    const truncated = new Map(this.truncated);
    const errors: GraphQLError[] = [];
    const report = (denial: Denial, path: ResponsePath): boolean => {
      const count = counts.get(denial.coordinate) ?? 0;
      if (count >= MAX_PATHS_PER_COORDINATE) {
        truncated.set(denial.coordinate, denial.requirement);
        return false;
      }
      counts.set(denial.coordinate, count + 1);
      errors.push(this.error(denial.coordinate, denial.requirement, path, ''));
      return true;
    };
    for (const denial of this.denials) {
      if (data === null || typeof data !== 'object') report(denial, [...denial.path]);
      else placeAt(data, denial.path, 0, [], (path) => report(denial, path));
    }
    for (const [coordinate, requirement] of truncated) {
      errors.push(this.error(coordinate, requirement, undefined, ` (also at more response paths than the ${MAX_PATHS_PER_COORDINATE} reported)`));
    }
    return errors;
  }

  private error(coordinate: string, requirement: AccessRequirement, path: ResponsePath | undefined, suffix: string): GraphQLError {
    return this.signedIn
      ? new GraphQLError(`Forbidden: ${coordinate} ${describe(requirement)}${suffix}`, { path, extensions: { code: 'FORBIDDEN' } })
      : new GraphQLError(`Unauthenticated: ${coordinate} ${describe(requirement)}${suffix}`, { path, extensions: { code: 'UNAUTHENTICATED' } });
  }
}

/**
 * Calls `report` with the response path of `path`'s last key under every item of `value` it
 * applies to, in data order, until `report` answers false. `value` is the object (or list of
 * them) that holds `path[step]`.
 */
function placeAt(value: unknown, path: readonly string[], step: number, at: ResponsePath, report: (path: ResponsePath) => boolean): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      if (!placeAt(value[index], path, step, [...at, index], report)) return false;
    }
    return true;
  }
  const key = path[step] as string;
  if (step === path.length - 1) return report([...at, key]);
  // Own properties only: response keys are client aliases, `__proto__` included.
  const child = Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined;
  if (child === undefined) return report([...at, ...path.slice(step)]);
  return placeAt(child, path, step + 1, [...at, key], report);
}
