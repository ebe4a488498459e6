import { Kind, type ConstDirectiveNode, type DocumentNode } from 'graphql';

/** One `@link` on a supergraph's schema: its namespace (`as`) and what it imports under which names. */
export interface SpecLink {
  readonly as: string | undefined;
  /** Imported directive names (without `@`) → the names the schema uses for them. */
  readonly renamed: ReadonlyMap<string, string>;
}

function stringArgument(directive: ConstDirectiveNode, name: string): string | undefined {
  const value = directive.arguments?.find((argument) => argument.name.value === name)?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
}

/**
 * The schema's `@link`s whose URL passes `matches`: how a spec's directives (`@cost`,
 * `@cacheControl`, …) are named in a composed supergraph, which may import them under other
 * names (`{ name: "@cost", as: "@weight" }`) or leave them namespaced.
 */
export function specLinks(document: DocumentNode, matches: (url: string) => boolean): SpecLink[] {
  const links: SpecLink[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const link of definition.directives ?? []) {
      const url = stringArgument(link, 'url');
      if (link.name.value !== 'link' || url === undefined || !matches(url)) continue;
      const renamed = new Map<string, string>();
      const imports = link.arguments?.find((argument) => argument.name.value === 'import')?.value;
      for (const entry of imports?.kind === Kind.LIST ? imports.values : []) {
        if (entry.kind !== Kind.OBJECT) continue;
        const field = (key: string) => {
          const value = entry.fields.find((candidate) => candidate.name.value === key)?.value;
          return value?.kind === Kind.STRING ? value.value.replace(/^@/, '') : undefined;
        };
        const imported = field('name');
        const alias = field('as');
        if (imported && alias) renamed.set(imported, alias);
      }
      links.push({ as: stringArgument(link, 'as'), renamed });
    }
  }
  return links;
}
