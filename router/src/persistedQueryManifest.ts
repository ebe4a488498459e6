/**
 * `npm run persisted-queries -- <folder> [manifest.json]`: writes the persisted query manifest
 * (Apollo's format) of the operations in a folder of .graphql files, for the router's
 * PERSISTED_QUERIES=safelist mode and for clients that send ids. Without an output path it
 * prints the manifest. The same operations always give the same bytes.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildManifest } from './pipeline/trustedDocuments';

const [folder, output] = process.argv.slice(2);
if (!folder) {
  process.stderr.write('usage: npm run persisted-queries -- <folder of .graphql operations> [manifest.json]\n');
  process.exit(2);
}
try {
  const manifest = buildManifest(resolve(folder));
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  if (output) {
    writeFileSync(resolve(output), text);
    process.stderr.write(`${manifest.operations.length} operations written to ${output}\n`);
  } else {
    process.stdout.write(text);
  }
} catch (error) {
  process.stderr.write(`persisted query manifest not written: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
