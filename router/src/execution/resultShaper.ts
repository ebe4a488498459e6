import {
  getNamedType,
  GraphQLEnumType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  isAbstractType,
  isObjectType,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  Kind,
  valueFromAST,
  GraphQLBoolean,
  type DirectiveNode,
  type FragmentDefinitionNode,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { isInheritedKey, ownValue, setOwnValue } from './ownProperties';
import type { ResponseError, ResponsePath } from './responseError';

/** Thrown while compiling an operation the shaper cannot serve; the gateway then serves it. */
export class UnsupportedOperation extends Error {}

/** A variable-driven @skip / @include: the field stays when `variable` equals `keepWhen`. */
interface Condition {
  readonly variable: string;
  readonly keepWhen: boolean;
}

interface ShapedField {
  readonly responseName: string;
  /** `__proto__`, `constructor`…: read and written as own properties only (see ownProperties). */
  readonly inheritedKey: boolean;
  readonly parentType: string;
  readonly isTypename: boolean;
  /**
   * A root `__schema` or `__type`: its value is already complete (graphql-js answered it from
   * the API schema, see introspection.ts) and is copied as it is.
   */
  readonly verbatim: boolean;
  readonly type: GraphQLOutputType;
  readonly child: SelectionShape | null;
  readonly conditions: readonly Condition[];
}

type JsonObject = Record<string, unknown>;

/**
 * The response shape of one selection, per possible runtime type, compiled once per operation:
 * at request time shaping is a walk over precomputed field lists, no AST in sight.
 *
 * Shapes are shared: the same selection sets at the same depth compile to one shape (see
 * ShapeCompiler.shape), so a fragment spread under many fields or aliases is compiled once,
 * and the compiled shapes stay linear in the size of the document.
 */
function sameShape(a: readonly ShapedField[], b: readonly ShapedField[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((field, index) => {
    const other = b[index];
    return !field.isTypename && !other.isTypename && field.responseName === other.responseName && field.child === other.child
      && String(field.type) === String(other.type) && JSON.stringify(field.conditions) === JSON.stringify(other.conditions);
  });
}

class SelectionShape {
  readonly byType = new Map<string, readonly ShapedField[]>();

  constructor(
    private readonly compiler: ShapeCompiler,
    private readonly selectionSets: readonly SelectionSetNode[],
    possibleTypes: readonly GraphQLObjectType[],
    depth: number,
  ) {
    if (depth > 64) throw new UnsupportedOperation('operation nested too deeply to precompile');
    for (const type of possibleTypes) this.byType.set(type.name, this.collect(type, depth));
    this.typeAgnostic = possibleTypes.length > 0 && possibleTypes.every((type) => sameShape(this.byType.get(type.name) ?? [], this.byType.get(possibleTypes[0].name) ?? [])) ? possibleTypes[0] : null;
  }

  /**
   * A possible type whose fields stand for every possible type's, when the selection does not
   * depend on the concrete type (no `__typename`, no type condition that picks fields). An
   * `@interfaceObject` subgraph answers with the interface's name as `__typename`; such an
   * object is kept with these fields instead of being refused.
   */
  readonly typeAgnostic: GraphQLObjectType | null;

  private collect(type: GraphQLObjectType, depth: number): ShapedField[] {
    const grouped = new Map<string, { fieldName: string; sets: SelectionSetNode[]; conditions: readonly Condition[]; conditionsKey: string }>();
    // A fragment reached again under the same conditions adds nothing new (graphql-js's
    // collectFields skips it too); visiting it again would be exponential in a document
    // whose fragments each spread the next twice.
    const visitedFragments = new Set<string>();
    const visit = (selectionSet: SelectionSetNode, inherited: readonly Condition[]) => {
      for (const selection of selectionSet.selections) {
        const own = this.compiler.conditions(selection.directives);
        if (own === 'skip') continue;
        const conditions = [...inherited, ...own];
        if (selection.kind === Kind.FIELD) {
          const responseName = selection.alias?.value ?? selection.name.value;
          const conditionsKey = JSON.stringify(conditions);
          const entry = grouped.get(responseName);
          if (entry) {
            if (entry.conditionsKey !== conditionsKey) throw new UnsupportedOperation('one response key under different @skip/@include conditions');
            if (selection.selectionSet) entry.sets.push(selection.selectionSet);
          } else {
            const sets = selection.selectionSet ? [selection.selectionSet] : [];
            grouped.set(responseName, { fieldName: selection.name.value, sets, conditions, conditionsKey });
          }
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (!selection.typeCondition || this.compiler.applies(selection.typeCondition.name.value, type)) {
            visit(selection.selectionSet, conditions);
          }
        } else {
          const name = selection.name.value;
          const fragment = Object.hasOwn(this.compiler.fragments, name) ? this.compiler.fragments[name] : undefined;
          const visitKey = `${name} ${JSON.stringify(conditions)}`;
          if (!fragment || visitedFragments.has(visitKey)) continue;
          if (this.compiler.applies(fragment.typeCondition.name.value, type)) {
            visitedFragments.add(visitKey);
            visit(fragment.selectionSet, conditions);
          }
        }
      }
    };
    for (const selectionSet of this.selectionSets) visit(selectionSet, []);

    const fields = type.getFields();
    return [...grouped].map(([responseName, entry]) => {
      if (entry.fieldName === '__schema' || entry.fieldName === '__type') {
        // Only the query root has them (validation says so); nested, something is off.
        if (depth > 0) throw new UnsupportedOperation('introspection below the root');
        const meta = entry.fieldName === '__schema' ? SchemaMetaFieldDef : TypeMetaFieldDef;
        return { responseName, inheritedKey: isInheritedKey(responseName), parentType: type.name, isTypename: false, verbatim: true, type: meta.type, child: null, conditions: entry.conditions };
      }
      const isTypename = entry.fieldName === '__typename';
      const definition = fields[entry.fieldName];
      if (!isTypename && !definition) throw new UnsupportedOperation(`unknown field ${type.name}.${entry.fieldName}`);
      const fieldType = definition?.type ?? new GraphQLNonNull(this.compiler.schema.getType('String') as GraphQLScalarType);
      const named = getNamedType(fieldType);
      let child: SelectionShape | null = null;
      if (!isTypename && entry.sets.length > 0) {
        const possible = isAbstractType(named) ? this.compiler.schema.getPossibleTypes(named) : isObjectType(named) ? [named] : [];
        child = this.compiler.shape(entry.sets, possible, depth + 1);
      }
      return { responseName, inheritedKey: isInheritedKey(responseName), parentType: type.name, isTypename, verbatim: false, type: fieldType, child, conditions: entry.conditions };
    });
  }
}

class ShapeCompiler {
  private readonly shapes = new Map<string, SelectionShape>();
  private readonly setIds = new WeakMap<SelectionSetNode, number>();
  private nextSetId = 0;

  constructor(
    readonly schema: GraphQLSchema,
    readonly fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  ) {}

  /** The shape of these selection sets, compiled once per operation whichever field asks. */
  shape(selectionSets: readonly SelectionSetNode[], possibleTypes: readonly GraphQLObjectType[], depth: number): SelectionShape {
    const key = `${depth}:${selectionSets.map((set) => this.idOf(set)).join(',')}:${possibleTypes.map((type) => type.name).join(',')}`;
    let shape = this.shapes.get(key);
    if (!shape) {
      shape = new SelectionShape(this, selectionSets, possibleTypes, depth);
      this.shapes.set(key, shape);
    }
    return shape;
  }

  private idOf(selectionSet: SelectionSetNode): number {
    let id = this.setIds.get(selectionSet);
    if (id === undefined) {
      id = this.nextSetId++;
      this.setIds.set(selectionSet, id);
    }
    return id;
  }

  applies(condition: string, type: GraphQLObjectType): boolean {
    if (condition === type.name) return true;
    const conditionType = this.schema.getType(condition);
    return !!conditionType && isAbstractType(conditionType) && this.schema.isSubType(conditionType, type);
  }

  /** Literal @skip/@include are decided now ('skip' drops the selection); variables at request time. */
  conditions(directives: readonly DirectiveNode[] | undefined): readonly Condition[] | 'skip' {
    const found: Condition[] = [];
    for (const directive of directives ?? []) {
      const name = directive.name.value;
      if (name !== 'skip' && name !== 'include') continue;
      const argument = directive.arguments?.find((arg) => arg.name.value === 'if');
      if (!argument) continue;
      const keepWhen = name === 'include';
      if (argument.value.kind === Kind.VARIABLE) {
        found.push({ variable: argument.value.name.value, keepWhen });
      } else if (valueFromAST(argument.value, GraphQLBoolean) !== keepWhen) {
        return 'skip';
      }
    }
    return found;
  }
}

/** Is `value` a valid serialised value of this leaf type, as a subgraph must send it? */
function validLeaf(type: GraphQLScalarType | GraphQLEnumType, value: unknown): boolean {
  if (type instanceof GraphQLEnumType) return typeof value === 'string' && type.getValue(value) !== undefined;
  switch (type.name) {
    case 'Int':
      return typeof value === 'number' && Number.isInteger(value) && value <= 2147483647 && value >= -2147483648;
    case 'Float':
      return typeof value === 'number' && Number.isFinite(value);
    case 'String':
      return typeof value === 'string';
    case 'Boolean':
      return typeof value === 'boolean';
    case 'ID':
      return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value));
    default:
      return true;
  }
}

/**
 * Turns the merged subgraph data into the response the operation asked for: only requested
 * fields, in order, under their aliases, with `__typename`, type conditions, @skip/@include,
 * and null propagation for non-null fields, as @apollo/gateway's post-processing does.
 */
export class ResultShaper {
  private readonly root: SelectionShape;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rootType: GraphQLObjectType,
    selectionSet: SelectionSetNode,
    fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  ) {
    this.root = new ShapeCompiler(schema, fragments).shape([selectionSet], [rootType], 0);
  }

  /** `listItems`: how many list items the data has, a hint of its size (see endWithJson). */
  shape(input: JsonObject, variables: Readonly<Record<string, unknown>>): { data: JsonObject | null; errors: ResponseError[]; listItems: number } {
    const run = new ShapingRun(this.schema, variables);
    const data = run.object(this.root, this.rootType, input, []);
    return { data: data ?? null, errors: run.errors, listItems: run.listItems };
  }
}

function put(output: JsonObject, field: ShapedField, value: unknown): void {
  if (field.inheritedKey) setOwnValue(output, field.responseName, value);
  else output[field.responseName] = value;
}

/** `undefined` from these methods means "null because of an error already reported". */
class ShapingRun {
  readonly errors: ResponseError[] = [];
  listItems = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly variables: Readonly<Record<string, unknown>>,
  ) {}

  private keeps(conditions: readonly Condition[]): boolean {
    return conditions.every((condition) => (this.variables[condition.variable] === true) === condition.keepWhen);
  }

  object(shape: SelectionShape, type: GraphQLObjectType, input: JsonObject, path: ResponsePath): JsonObject | undefined {
    const fields = shape.byType.get(type.name) ?? [];
    const output: JsonObject = {};
    for (const field of fields) {
      if (field.conditions.length > 0 && !this.keeps(field.conditions)) continue;
      if (field.isTypename) {
        put(output, field, type.name);
        continue;
      }
      const received = field.inheritedKey ? ownValue(input, field.responseName) : input[field.responseName];
      if (field.verbatim) {
        put(output, field, received ?? null);
        continue;
      }
      path.push(field.responseName);
      const value = this.complete(field, field.type, field.child, received ?? null, path);
      path.pop();
      if (value === undefined) {
        if (field.type instanceof GraphQLNonNull) return undefined;
        put(output, field, null);
      } else {
        put(output, field, value);
      }
    }
    return output;
  }

  private invalid(message: string, path: ResponsePath): undefined {
    this.errors.push({ message, path: [...path], extensions: { code: 'INVALID_GRAPHQL' } });
    return undefined;
  }

  private complete(field: ShapedField, type: GraphQLOutputType, child: SelectionShape | null, value: unknown, path: ResponsePath): unknown {
    if (type instanceof GraphQLNonNull) {
      const inner = this.complete(field, type.ofType as GraphQLOutputType, child, value, path);
      if (inner === null) {
        const last = path[path.length - 1];
        const where = typeof last === 'number' ? `array element of type ${String(type.ofType)} at index ${last}` : `field ${field.parentType}.${String(last)}`;
        return this.invalid(`Cannot return null for non-nullable ${where}.`, path);
      }
      return inner;
    }
    if (value === null) return null;
    if (type instanceof GraphQLList) {
      if (!Array.isArray(value)) return this.invalid(`Invalid non-list value found for field ${field.parentType}.${field.responseName}.`, path);
      const itemType = type.ofType as GraphQLOutputType;
      this.listItems += value.length;
      const items: unknown[] = new Array(value.length);
      for (let index = 0; index < value.length; index += 1) {
        path.push(index);
        const item = this.complete(field, itemType, child, value[index] ?? null, path);
        path.pop();
        if (item === undefined) {
          if (itemType instanceof GraphQLNonNull) return undefined;
          items[index] = null;
        } else {
          items[index] = item;
        }
      }
      return items;
    }
    if (child) {
      if (typeof value !== 'object' || Array.isArray(value)) return this.invalid(`Invalid non-object value found for field ${field.parentType}.${field.responseName}.`, path);
      const object = value as JsonObject;
      const typename = object.__typename;
      let runtime: GraphQLObjectType | undefined;
      if (typeof typename === 'string') {
        const found = this.schema.getType(typename);
        runtime = isObjectType(found) ? (child.byType.has(found.name) ? found : undefined) : isAbstractType(found) ? child.typeAgnostic ?? undefined : undefined;
      } else {
        const named = getNamedType(type);
        // The planner asks no `__typename` of an @interfaceObject subgraph when the selection
        // does not depend on the concrete type: the object is kept with the common fields.
        runtime = isObjectType(named) ? named : child.typeAgnostic ?? undefined;
      }
      if (!runtime) return this.invalid(`Invalid __typename found for object at field ${field.parentType}.${field.responseName}.`, path);
      return this.object(child, runtime, object, path);
    }
    const leaf = getNamedType(type) as GraphQLScalarType | GraphQLEnumType;
    return validLeaf(leaf, value) ? value : this.invalid(`Invalid value found for field ${field.parentType}.${field.responseName}.`, path);
  }
}
