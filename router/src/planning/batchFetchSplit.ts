import {
  Kind,
  parse,
  print,
  stripIgnoredCharacters,
  visit,
  type ASTNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type VariableDefinitionNode,
} from 'graphql';
import { UntranslatableHivePlan } from './untranslatableHivePlan';

/** Names of the variables and fragments a node uses (fragments followed through their own uses). */
function usesOf(node: ASTNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): { variables: Set<string>; fragments: Set<string> } {
  const variables = new Set<string>();
  const used = new Set<string>();
  const pending: ASTNode[] = [node];
  while (pending.length > 0) {
    visit(pending.pop() as ASTNode, {
      Variable: (variable) => void variables.add(variable.name.value),
      FragmentSpread: (spread) => {
        const name = spread.name.value;
        const fragment = fragments.get(name);
        if (used.has(name) || !fragment) return;
        used.add(name);
        pending.push(fragment);
      },
    });
  }
  return { variables, fragments: used };
}

const REPRESENTATIONS = 'representations';

/**
 * The entity fetch of one alias of a Hive BatchFetch operation, as the executor sends entity
 * fetches: `query($representations: [_Any!]!, ..){_entities(representations: $representations){..}}`,
 * with only the variables and fragments that alias uses.
 */
export function batchAliasOperation(batchOperation: string, alias: string): { operation: string; variableUsages: string[] } {
  const document = parse(batchOperation, { noLocation: true });
  const operation = document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  const field = operation?.selectionSet.selections.find((selection): selection is FieldNode => selection.kind === Kind.FIELD && selection.alias?.value === alias);
  const argument = field?.arguments?.find((candidate) => candidate.name.value === REPRESENTATIONS);
  if (!operation || !field || field.name.value !== '_entities' || argument?.value.kind !== Kind.VARIABLE) {
    throw new UntranslatableHivePlan(`a BatchFetch whose alias ${alias} is not an _entities field`);
  }
  const batchVariable = argument.value.name.value;
  const fragments = new Map(
    document.definitions.filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION).map((fragment) => [fragment.name.value, fragment]),
  );
  const uses = usesOf(field, fragments);
  const variable = (name: string) => ({ kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: name } }) as const;
  const variableDefinitions: VariableDefinitionNode[] = [];
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (name === batchVariable) variableDefinitions.push({ ...definition, variable: variable(REPRESENTATIONS) });
    else if (uses.variables.has(name)) variableDefinitions.push(definition);
  }
  const entities: FieldNode = {
    ...field,
    alias: undefined,
    arguments: field.arguments?.map((candidate) => (candidate === argument ? { ...candidate, value: variable(REPRESENTATIONS) } : candidate)),
  };
  const single: OperationDefinitionNode = { ...operation, variableDefinitions, selectionSet: { kind: Kind.SELECTION_SET, selections: [entities] } };
  const text = stripIgnoredCharacters(print({ kind: Kind.DOCUMENT, definitions: [single, ...[...uses.fragments].map((name) => fragments.get(name) as FragmentDefinitionNode)] }));
  uses.variables.delete(batchVariable);
  return { operation: text, variableUsages: [...uses.variables] };
}
