import { Kind, parse, type ConstDirectiveNode, type DocumentNode } from 'graphql';

/** What a field or type demands, from `@authenticated` and `@requiresScopes` in the supergraph. */
export interface AccessRequirement {
  readonly authenticated: boolean;
  /** Any one inner list, all of whose scopes the caller holds, satisfies it (OR of ANDs). */
  readonly scopeSets: readonly (readonly string[])[] | null;
}

export interface AccessRequirements {
  /** Keys are `Type.field` for fields and `Type` for types. */
  get(coordinate: string): AccessRequirement | undefined;
  readonly size: number;
}

function requirementOf(directives: readonly ConstDirectiveNode[] | undefined): AccessRequirement | undefined {
  let authenticated = false;
  let scopeSets: string[][] | null = null;
  for (const directive of directives ?? []) {
    if (directive.name.value === 'authenticated') authenticated = true;
    if (directive.name.value === 'requiresScopes') {
      const argument = directive.arguments?.find((arg) => arg.name.value === 'scopes');
      if (argument?.value.kind === Kind.LIST) {
        scopeSets = argument.value.values.map((inner) =>
          inner.kind === Kind.LIST ? inner.values.flatMap((scope) => (scope.kind === Kind.STRING ? [scope.value] : [])) : [],
        );
      }
    }
  }
  if (!authenticated && !scopeSets) return undefined;
  // Holding scopes implies being signed in.
  return { authenticated: true, scopeSets };
}

/** Reads the access rules composed into the supergraph (subgraphs declare them where they belong). */
export function readAccessRequirements(supergraphSdl: string | DocumentNode): AccessRequirements {
  const document = typeof supergraphSdl === 'string' ? parse(supergraphSdl) : supergraphSdl;
  const rules = new Map<string, AccessRequirement>();
  for (const definition of document.definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
      definition.kind !== Kind.SCALAR_TYPE_DEFINITION &&
      definition.kind !== Kind.ENUM_TYPE_DEFINITION
    ) {
      continue;
    }
    const typeRule = requirementOf(definition.directives);
    if (typeRule) rules.set(definition.name.value, typeRule);
    if (definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.INTERFACE_TYPE_DEFINITION) {
      for (const field of definition.fields ?? []) {
        const fieldRule = requirementOf(field.directives);
        if (fieldRule) rules.set(`${definition.name.value}.${field.name.value}`, fieldRule);
      }
    }
  }
  return { get: (coordinate) => rules.get(coordinate), size: rules.size };
}
