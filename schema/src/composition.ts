import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import type { SupergraphConfig } from './supergraphConfig';

export type CompositionOutcome =
  | { readonly ok: true; readonly supergraphSdl: string; readonly hints: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[]; readonly hints: readonly string[] };

/** What `rover supergraph compose` does with file-based subgraphs, with the same library. */
export function composeSupergraph(config: SupergraphConfig): CompositionOutcome {
  const services = config.subgraphs.map((subgraph) => ({
    name: subgraph.name,
    url: subgraph.routingUrl,
    typeDefs: parse(readFileSync(subgraph.schemaFile, 'utf8')),
  }));
  const result = composeServices(services);
  const hints = (result.hints ?? []).map((hint) => `${hint.definition.code}: ${hint.message}`);
  if (result.errors) {
    return {
      ok: false,
      hints,
      errors: result.errors.map((error) => {
        const code = typeof error.extensions.code === 'string' ? `${error.extensions.code}: ` : '';
        return `${code}${error.message}`;
      }),
    };
  }
  return { ok: true, supergraphSdl: `${result.supergraphSdl}\n`, hints };
}
