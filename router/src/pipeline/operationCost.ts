import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  Kind,
  valueFromAST,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { CostDirectives } from './costDirectives';

export interface CostSettings {
  /** The size assumed for a list with no `@listSize` (and for one whose slicing argument has no value). */
  readonly defaultListSize: number;
}

export interface CostEstimate {
  readonly cost: number;
  /** A slicing argument came from a variable: the estimate holds for these variables only. */
  readonly dependsOnVariables: boolean;
}

/** What a mutation costs beyond its fields: it writes (the cost spec's operation type weight). */
const MUTATION_WEIGHT = 10;

interface Walk {
  readonly variables: Readonly<Record<string, unknown>>;
  /** Per size context (the sizes a connection hands its children), each fragment's cost. */
  readonly fragmentCosts: Map<ReadonlyMap<string, number>, Map<string, number | 'estimating'>>;
  dependsOnVariables: boolean;
}

/**
 * The estimated cost of an operation, as Apollo Router's demand control and the cost spec
 * estimate it statically: an object, interface or union value costs 1 and a scalar or enum 0
 * unless `@cost` says otherwise (on the field, else on its type); arguments given add their
 * `@cost`; a list multiplies what one item costs by its size, taken from `@listSize`'s slicing
 * arguments (`first: 50`, a variable, or the argument's default), else its assumed size, else
 * the configured default; `sizedFields` moves that size to a child (a connection's `edges`).
 * Fragments on different object types are alternatives, so the dearest one counts. Every
 * fragment is estimated once per estimate, so a fragment bomb costs linear time (and an
 * astronomical cost, which is then refused). `@skip`/`@include` are not evaluated: the
 * estimate is an upper bound.
 */
export class OperationCostEstimator {
  private readonly fragments = new Map<string, FragmentDefinitionNode>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly directives: CostDirectives,
    private readonly settings: CostSettings,
    document: DocumentNode,
    private readonly operation: OperationDefinitionNode,
  ) {
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) this.fragments.set(definition.name.value, definition);
    }
  }

  estimate(variables: Readonly<Record<string, unknown>>): CostEstimate {
    const walk: Walk = { variables, fragmentCosts: new Map(), dependsOnVariables: false };
    const root = this.schema.getRootType(this.operation.operation) ?? undefined;
    const fields = this.selectionCost(walk, this.operation.selectionSet, root, new Map());
    return { cost: fields + (this.operation.operation === 'mutation' ? MUTATION_WEIGHT : 0), dependsOnVariables: walk.dependsOnVariables };
  }

  /** `sized` gives the sizes a parent's `@listSize(sizedFields:)` set for fields of this selection. */
  private selectionCost(walk: Walk, selectionSet: SelectionSetNode, parentType: GraphQLCompositeType | undefined, sized: ReadonlyMap<string, number>): number {
    let shared = 0;
    // Fragments on one object type each: only one of them can apply to a given value.
    const alternatives = new Map<string, number>();
    const addFragment = (typeName: string | undefined, cost: number) => {
      const type = typeName === undefined ? undefined : this.schema.getType(typeName);
      if (!type || !isObjectType(type) || type === parentType) shared += cost;
      else alternatives.set(type.name, (alternatives.get(type.name) ?? 0) + cost);
    };
    for (const selection of selectionSet.selections) {
      switch (selection.kind) {
        case Kind.FIELD:
          shared += this.fieldCost(walk, selection, parentType, sized);
          break;
        case Kind.INLINE_FRAGMENT: {
          const typeName = selection.typeCondition?.name.value;
          const type = typeName === undefined ? parentType : this.compositeType(typeName);
          addFragment(typeName, this.selectionCost(walk, selection.selectionSet, type, sized));
          break;
        }
        case Kind.FRAGMENT_SPREAD: {
          const fragment = this.fragments.get(selection.name.value);
          if (fragment) addFragment(fragment.typeCondition.name.value, this.fragmentCost(walk, fragment, sized));
          break;
        }
      }
    }
    let dearest = 0;
    for (const cost of alternatives.values()) dearest = Math.max(dearest, cost);
    return shared + dearest;
  }

  /** A fragment's cost depends only on the sizes handed to its fields (usually none): each pair is estimated once. */
  private fragmentCost(walk: Walk, fragment: FragmentDefinitionNode, sized: ReadonlyMap<string, number>): number {
    let costs = walk.fragmentCosts.get(sized);
    if (!costs) {
      costs = new Map();
      walk.fragmentCosts.set(sized, costs);
    }
    const name = fragment.name.value;
    const known = costs.get(name);
    if (known === 'estimating') return 0; // a cycle: validation refuses the document
    if (known !== undefined) return known;
    costs.set(name, 'estimating');
    const cost = this.selectionCost(walk, fragment.selectionSet, this.compositeType(fragment.typeCondition.name.value), sized);
    costs.set(name, cost);
    return cost;
  }

  private fieldCost(walk: Walk, node: FieldNode, parentType: GraphQLCompositeType | undefined, sized: ReadonlyMap<string, number>): number {
    const name = node.name.value;
    // Introspection is bounded by its own depth rule, and __typename is answered by the router.
    if (name.startsWith('__')) return 0;
    const field = parentType && 'getFields' in parentType ? parentType.getFields()[name] : undefined;
    if (!field || !parentType) return 0;
    const coordinate = `${parentType.name}.${name}`;
    const namedType = getNamedType(field.type);
    const itemWeight = this.directives.weight(coordinate) ?? this.typeWeight(namedType);
    const listSize = this.directives.listSize(coordinate);
    let size = this.isList(field) ? this.sizeOf(walk, node, field, coordinate) : 1;
    let childSizes: ReadonlyMap<string, number> = EMPTY_SIZES;
    if (listSize && listSize.sizedFields.length > 0) {
      // The size belongs to the named children (a connection's edges), not to this field.
      const childSize = this.sizeOf(walk, node, field, coordinate);
      childSizes = new Map(listSize.sizedFields.map((child) => [child, childSize]));
      if (!this.isList(field)) size = 1;
    }
    const fromParent = sized.get(name);
    if (fromParent !== undefined) size = fromParent;
    const below = node.selectionSet && isCompositeType(namedType) ? this.selectionCost(walk, node.selectionSet, namedType, childSizes) : 0;
    return size * (itemWeight + below) + this.argumentsCost(coordinate, node);
  }

  private isList(field: GraphQLField<unknown, unknown>): boolean {
    return isListType(getNullableType(field.type));
  }

  /** The list size: the largest slicing argument given, else the assumed size, else the default. */
  private sizeOf(walk: Walk, node: FieldNode, field: GraphQLField<unknown, unknown>, coordinate: string): number {
    const listSize = this.directives.listSize(coordinate);
    if (!listSize) return this.settings.defaultListSize;
    let largest: number | undefined;
    for (const slicing of listSize.slicingArguments) {
      const value = this.argumentValue(walk, node, field, slicing);
      if (typeof value === 'number' && Number.isFinite(value)) largest = Math.max(largest ?? 0, value);
    }
    return largest ?? listSize.assumedSize ?? this.settings.defaultListSize;
  }

  private argumentValue(walk: Walk, node: FieldNode, field: GraphQLField<unknown, unknown>, name: string): unknown {
    const definition = field.args.find((argument) => argument.name === name);
    if (!definition) return undefined;
    const given: ValueNode | undefined = node.arguments?.find((argument) => argument.name.value === name)?.value;
    if (!given) return definition.defaultValue;
    if (given.kind === Kind.VARIABLE) {
      walk.dependsOnVariables = true;
      return walk.variables[given.name.value] ?? definition.defaultValue;
    }
    return valueFromAST(given, definition.type);
  }

  /** `@cost` on each argument given (input object fields are not looked into). */
  private argumentsCost(coordinate: string, node: FieldNode): number {
    let cost = 0;
    for (const argument of node.arguments ?? []) cost += this.directives.weight(`${coordinate}(${argument.name.value}:)`) ?? 0;
    return cost;
  }

  private typeWeight(type: GraphQLNamedType): number {
    return this.directives.weight(type.name) ?? (isCompositeType(type) ? 1 : 0);
  }

  private compositeType(name: string): GraphQLCompositeType | undefined {
    const type = this.schema.getType(name);
    return type && isCompositeType(type) ? type : undefined;
  }
}

const EMPTY_SIZES: ReadonlyMap<string, number> = new Map();
