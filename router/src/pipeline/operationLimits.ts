import {
  getNamedType,
  isCompositeType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * What an operation asks of the router, measured on its document alone (before validation,
 * which is the expensive step an oversized operation must not reach):
 * - depth: the deepest nesting of fields (`{ a { b } }` is 2), fragments included;
 * - aliases: aliased fields, each use of a fragment counted (so a fragment spread 1,000
 *   times counts its aliases 1,000 times, as the response would repeat them);
 * - rootFields: fields of the root selection set, each use counted;
 * - height: distinct fields (`Type.field`) anywhere in the operation, each counted once
 *   however often it is selected or aliased;
 * - directivesPerField: the most directives on one field.
 * Every fragment is measured once, so a fragment bomb (each fragment spreading the previous
 * one twice) is measured in time linear in its text although its counts grow exponentially.
 */
export interface OperationMeasure {
  readonly depth: number;
  readonly aliases: number;
  readonly rootFields: number;
  readonly height: number;
  readonly directivesPerField: number;
}

interface SelectionMeasure {
  depth: number;
  aliases: number;
  fields: number;
  directivesPerField: number;
}

const EMPTY: SelectionMeasure = { depth: 0, aliases: 0, fields: 0, directivesPerField: 0 };

class OperationMeter {
  private readonly fragmentMeasures = new Map<string, SelectionMeasure | 'measuring'>();
  readonly distinctFields = new Set<string>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  ) {}

  measure(selectionSet: SelectionSetNode, parentType: GraphQLCompositeType | undefined): SelectionMeasure {
    const total: SelectionMeasure = { depth: 0, aliases: 0, fields: 0, directivesPerField: 0 };
    for (const selection of selectionSet.selections) {
      let part: SelectionMeasure;
      switch (selection.kind) {
        case Kind.FIELD: {
          const name = selection.name.value;
          this.distinctFields.add(`${parentType?.name ?? '?'}.${name}`);
          const fieldType = this.fieldType(parentType, name);
          const namedType = fieldType ? getNamedType(fieldType) : undefined;
          const below = selection.selectionSet
            ? this.measure(selection.selectionSet, namedType && isCompositeType(namedType) ? namedType : undefined)
            : EMPTY;
          part = {
            depth: below.depth + 1,
            aliases: below.aliases + (selection.alias ? 1 : 0),
            fields: 1,
            directivesPerField: Math.max(below.directivesPerField, selection.directives?.length ?? 0),
          };
          break;
        }
        case Kind.INLINE_FRAGMENT:
          part = this.measure(selection.selectionSet, this.typeNamed(selection.typeCondition?.name.value) ?? parentType);
          break;
        case Kind.FRAGMENT_SPREAD:
          part = this.fragment(selection.name.value);
          break;
      }
      total.depth = Math.max(total.depth, part.depth);
      total.aliases += part.aliases;
      total.fields += part.fields;
      total.directivesPerField = Math.max(total.directivesPerField, part.directivesPerField);
    }
    return total;
  }

  /** The meta-fields are not among a type's fields, yet their subtrees are measured like any other. */
  private fieldType(parentType: GraphQLCompositeType | undefined, name: string) {
    if (name === '__schema') return this.schema.getType('__Schema') ?? undefined;
    if (name === '__type') return this.schema.getType('__Type') ?? undefined;
    return parentType && 'getFields' in parentType ? parentType.getFields()[name]?.type : undefined;
  }

  /** A fragment's measure does not depend on where it is spread: its type condition names its type. */
  private fragment(name: string): SelectionMeasure {
    const known = this.fragmentMeasures.get(name);
    // A cycle or an unknown fragment: validation refuses the document; here it adds nothing.
    if (known === 'measuring') return EMPTY;
    if (known) return known;
    const definition = this.fragments.get(name);
    if (!definition) return EMPTY;
    this.fragmentMeasures.set(name, 'measuring');
    const measured = this.measure(definition.selectionSet, this.typeNamed(definition.typeCondition.name.value));
    this.fragmentMeasures.set(name, measured);
    return measured;
  }

  private typeNamed(name: string | undefined): GraphQLCompositeType | undefined {
    const type = name === undefined ? undefined : this.schema.getType(name);
    return type && isCompositeType(type) ? type : undefined;
  }
}

export function measureOperation(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): OperationMeasure {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const meter = new OperationMeter(schema, fragments);
  const root = meter.measure(operation.selectionSet, schema.getRootType(operation.operation) ?? undefined);
  return {
    depth: root.depth,
    aliases: root.aliases,
    rootFields: root.fields,
    height: meter.distinctFields.size,
    directivesPerField: root.directivesPerField,
  };
}

/** The limits an operation must stay within; `Infinity` switches one off. */
export interface OperationLimits {
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxRootFields: number;
  readonly maxHeight: number;
  readonly maxDirectivesPerField: number;
}

/** An operation over one of its limits: the code Apollo Router uses, the limit and what was measured. */
export interface LimitExceeded {
  readonly code: 'MAX_DEPTH_LIMIT' | 'MAX_ALIASES_LIMIT' | 'MAX_ROOT_FIELDS_LIMIT' | 'MAX_HEIGHT_LIMIT' | 'MAX_DIRECTIVES_LIMIT';
  readonly message: string;
  readonly limit: number;
  readonly measured: number;
}

const CHECKS: readonly {
  readonly code: LimitExceeded['code'];
  readonly what: string;
  readonly measure: keyof OperationMeasure;
  readonly limit: keyof OperationLimits;
}[] = [
  { code: 'MAX_DEPTH_LIMIT', what: 'depth', measure: 'depth', limit: 'maxDepth' },
  { code: 'MAX_HEIGHT_LIMIT', what: 'height (distinct fields)', measure: 'height', limit: 'maxHeight' },
  { code: 'MAX_ROOT_FIELDS_LIMIT', what: 'number of root fields', measure: 'rootFields', limit: 'maxRootFields' },
  { code: 'MAX_ALIASES_LIMIT', what: 'number of aliases', measure: 'aliases', limit: 'maxAliases' },
  { code: 'MAX_DIRECTIVES_LIMIT', what: 'number of directives on one field', measure: 'directivesPerField', limit: 'maxDirectivesPerField' },
];

/** Every limit the operation exceeds (all of them, so a client fixes its operation once). */
export function exceededLimits(measure: OperationMeasure, limits: OperationLimits): LimitExceeded[] {
  const exceeded: LimitExceeded[] = [];
  for (const check of CHECKS) {
    const measured = measure[check.measure];
    const limit = limits[check.limit];
    if (measured > limit) {
      exceeded.push({
        code: check.code,
        message: `Maximum ${check.what} exceeded in this operation: ${measured > Number.MAX_SAFE_INTEGER ? 'more than 2^53' : measured}, the limit is ${limit}.`,
        limit,
        measured,
      });
    }
  }
  return exceeded;
}
