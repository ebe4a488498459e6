import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The committed `clients/web/src/gql/` is what `npm run codegen` writes from `schema/api.graphql`
 * and the page's operations today. graphql-codegen's own `--check` regenerates in memory and
 * names every file that differs: a schema change or an edited operation without regenerating
 * fails here, and an operation the schema no longer validates fails codegen itself, named.
 */
const ROOT = join(__dirname, '..', '..', '..');
const CODEGEN = join(ROOT, 'node_modules', '@graphql-codegen', 'cli', 'cjs', 'bin.js');

describe('generated operation types (graphql-codegen, client preset)', () => {
  it('are up to date with schema/api.graphql and the page operations (else: npm run codegen)', async () => {
    const run = await promisify(execFile)(process.execPath, [CODEGEN, '--config', 'clients/web/codegen.ts', '--check'], { cwd: ROOT, timeout: 60_000 }).then(
      () => ({ code: 0, output: '' }),
      (failure: { code?: number; stdout?: string; stderr?: string }) => ({ code: failure.code, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` }),
    );
    expect(run).toEqual({ code: 0, output: '' });
  }, 60_000);
});
