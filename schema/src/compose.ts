import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { apiSchemaSdl } from './apiSchema';
import { composeSupergraph } from './composition';
import { API_SCHEMA_FILE, readSupergraphConfig, REPO_ROOT, SUPERGRAPH_FILE } from './supergraphConfig';

/**
 * `npm run compose`: supergraph.yaml → schema/supergraph.graphql and the API schema clients see,
 * schema/api.graphql. Errors fail the command;
 * so do hints, unless --allow-hints, because a hint today is a surprise in the query plan later.
 */
function main(): void {
  const allowHints = process.argv.includes('--allow-hints');
  const config = readSupergraphConfig();
  const outcome = composeSupergraph(config);
  for (const hint of outcome.hints) process.stderr.write(`hint  ${hint}\n`);
  if (!outcome.ok) {
    for (const error of outcome.errors) process.stderr.write(`error ${error}\n`);
    process.stderr.write(`composition failed with ${outcome.errors.length} error(s); supergraph not written\n`);
    process.exit(1);
  }
  if (outcome.hints.length > 0 && !allowHints) {
    process.stderr.write(`composition produced ${outcome.hints.length} hint(s); fix them or pass --allow-hints\n`);
    process.exit(1);
  }
  writeFileSync(SUPERGRAPH_FILE, outcome.supergraphSdl);
  writeFileSync(API_SCHEMA_FILE, apiSchemaSdl(outcome.supergraphSdl));
  process.stdout.write(
    `composed ${config.subgraphs.length} subgraphs (federation ${config.federationVersion}) into ${relative(REPO_ROOT, SUPERGRAPH_FILE)}` +
      ` and ${relative(REPO_ROOT, API_SCHEMA_FILE)}\n`,
  );
}

main();
