import { Kind, parse, type ConstDirectiveNode, type ConstValueNode, type DocumentNode } from 'graphql';
import { specLinks } from '../linkedSpecs';

/** `@listSize` on a field, as the cost spec (https://ibm.github.io/graphql-specs/cost-spec.html) defines it. */
export interface ListSize {
  readonly assumedSize: number | null;
  readonly slicingArguments: readonly string[];
  /** The size applies to these child fields (a connection's `edges`), not to the field itself. */
  readonly sizedFields: readonly string[];
}

/**
 * The demand-control directives composed into a supergraph (`@cost`, `@listSize`; federation
 * 2.9+). Keys are schema coordinates: `Type` for types, `Type.field` for fields,
 * `Type.field(arg:)` for arguments and `Input.field` for input fields.
 */
export interface CostDirectives {
  weight(coordinate: string): number | undefined;
  listSize(coordinate: string): ListSize | undefined;
}

const COST_SPEC = 'https://specs.apollo.dev/cost/';

function argumentValue(directive: ConstDirectiveNode, name: string): ConstValueNode | undefined {
  return directive.arguments?.find((argument) => argument.name.value === name)?.value;
}

/**
 * The names the supergraph gives the two directives. Composition declares `@cost` and
 * `@listSize` under a `@link` to the cost spec, which may import them under other names
 * (`{ name: "@cost", as: "@weight" }`) or leave them namespaced (`@cost__listSize`).
 */
function directiveNames(document: DocumentNode): { cost: Set<string>; listSize: Set<string> } {
  const names = { cost: new Set(['cost', 'cost__cost']), listSize: new Set(['listSize', 'cost__listSize']) };
  for (const link of specLinks(document, (url) => url.startsWith(COST_SPEC))) {
    const namespace = link.as ?? 'cost';
    names.cost.add(`${namespace}__cost`);
    names.listSize.add(`${namespace}__listSize`);
    const cost = link.renamed.get('cost');
    const listSize = link.renamed.get('listSize');
    if (cost) names.cost.add(cost);
    if (listSize) names.listSize.add(listSize);
  }
  return names;
}

function strings(value: ConstValueNode | undefined): string[] {
  if (value?.kind === Kind.LIST) return value.values.flatMap((item) => (item.kind === Kind.STRING ? [item.value] : []));
  return value?.kind === Kind.STRING ? [value.value] : [];
}

/** Reads `@cost` and `@listSize` from a supergraph; a supergraph without them yields none. */
export function readCostDirectives(supergraphSdl: string | DocumentNode): CostDirectives {
  const document = typeof supergraphSdl === 'string' ? parse(supergraphSdl) : supergraphSdl;
  const names = directiveNames(document);
  const weights = new Map<string, number>();
  const listSizes = new Map<string, ListSize>();

  const read = (coordinate: string, directives: readonly ConstDirectiveNode[] | undefined) => {
    for (const directive of directives ?? []) {
      if (names.cost.has(directive.name.value)) {
        const weight = argumentValue(directive, 'weight');
        // The spec types weight as Int; Apollo's composition also accepts a string of digits.
        const parsed = weight?.kind === Kind.INT ? Number(weight.value) : weight?.kind === Kind.STRING ? Number(weight.value) : NaN;
        if (Number.isFinite(parsed)) weights.set(coordinate, parsed);
      } else if (names.listSize.has(directive.name.value)) {
        const assumed = argumentValue(directive, 'assumedSize');
        listSizes.set(coordinate, {
          assumedSize: assumed?.kind === Kind.INT ? Number(assumed.value) : null,
          slicingArguments: strings(argumentValue(directive, 'slicingArguments')),
          sizedFields: strings(argumentValue(directive, 'sizedFields')),
        });
      }
    }
  };

  for (const definition of document.definitions) {
    switch (definition.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.OBJECT_TYPE_EXTENSION:
      case Kind.INTERFACE_TYPE_DEFINITION:
      case Kind.INTERFACE_TYPE_EXTENSION:
        read(definition.name.value, definition.directives);
        for (const field of definition.fields ?? []) {
          const coordinate = `${definition.name.value}.${field.name.value}`;
          read(coordinate, field.directives);
          for (const argument of field.arguments ?? []) read(`${coordinate}(${argument.name.value}:)`, argument.directives);
        }
        break;
      case Kind.INPUT_OBJECT_TYPE_DEFINITION:
      case Kind.INPUT_OBJECT_TYPE_EXTENSION:
        for (const field of definition.fields ?? []) read(`${definition.name.value}.${field.name.value}`, field.directives);
        break;
      case Kind.SCALAR_TYPE_DEFINITION:
      case Kind.ENUM_TYPE_DEFINITION:
        read(definition.name.value, definition.directives);
        break;
      default:
        break;
    }
  }
  return { weight: (coordinate) => weights.get(coordinate), listSize: (coordinate) => listSizes.get(coordinate) };
}
