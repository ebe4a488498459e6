import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** One subgraph entry of rover's `supergraph.yaml`. */
export interface SubgraphEntry {
  readonly name: string;
  readonly routingUrl: string;
  /** Absolute path of the subgraph's committed SDL. */
  readonly schemaFile: string;
}

export interface SupergraphConfig {
  readonly federationVersion: string;
  readonly subgraphs: readonly SubgraphEntry[];
}

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const SUPERGRAPH_YAML = resolve(REPO_ROOT, 'supergraph.yaml');
export const SUPERGRAPH_FILE = resolve(REPO_ROOT, 'schema', 'supergraph.graphql');
/** The client-facing schema derived from the supergraph (see apiSchema.ts). */
export const API_SCHEMA_FILE = resolve(REPO_ROOT, 'schema', 'api.graphql');

export function readSupergraphConfig(path: string = SUPERGRAPH_YAML): SupergraphConfig {
  const document: unknown = parseYaml(readFileSync(path, 'utf8'));
  const fail = (message: string): never => {
    throw new Error(`${path}: ${message}`);
  };
  if (!document || typeof document !== 'object') fail('is not a YAML mapping');
  const root = document as { federation_version?: unknown; subgraphs?: unknown };
  const version = typeof root.federation_version === 'string' ? root.federation_version : fail('federation_version is missing');
  const exact = /^=(\d+\.\d+\.\d+)$/.exec(version) ?? fail(`federation_version must be exact, like =2.14.4 (got ${version})`);
  if (!root.subgraphs || typeof root.subgraphs !== 'object') fail('subgraphs is missing');
  const subgraphs = Object.entries(root.subgraphs as Record<string, unknown>).map(([name, raw]) => {
    const entry = (raw ?? {}) as { routing_url?: unknown; schema?: { file?: unknown } };
    const routingUrl = typeof entry.routing_url === 'string' ? entry.routing_url : fail(`subgraphs.${name}.routing_url is missing`);
    const file = typeof entry.schema?.file === 'string' ? entry.schema.file : fail(`subgraphs.${name}.schema.file is missing`);
    return { name, routingUrl, schemaFile: resolve(dirname(path), file) };
  });
  return { federationVersion: exact[1] as string, subgraphs };
}
