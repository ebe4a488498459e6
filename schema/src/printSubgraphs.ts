import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { SUBGRAPH_NAMES } from '@booking/runtime';
import { generateSubgraphSdl } from './subgraphSchemas';
import { readSupergraphConfig, REPO_ROOT } from './supergraphConfig';

async function main(): Promise<void> {
  const config = readSupergraphConfig();
  for (const entry of config.subgraphs) {
    const name = SUBGRAPH_NAMES.find((known) => known === entry.name);
    if (!name) throw new Error(`supergraph.yaml names an unknown subgraph "${entry.name}"`);
    writeFileSync(entry.schemaFile, await generateSubgraphSdl(name));
    process.stdout.write(`wrote ${relative(REPO_ROOT, entry.schemaFile)}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
