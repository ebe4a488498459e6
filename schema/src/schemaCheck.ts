/**
 * `npm run schema:check`: the schema-change policy on schema/api.graphql (see README, "For
 * frontend teams"). Compares the working tree's API schema with the base revision's, allows a
 * breaking change only when what it touches was deprecated long enough on the base or it is
 * acknowledged in schema/acknowledged-changes.json, and checks that the operations of the
 * trusted-documents manifest (PERSISTED_QUERIES_MANIFEST) still validate. Exit 1 on failure.
 * Runs in the git repository of the current directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAcknowledgements, type Acknowledgement } from './check/acknowledgements';
import { deprecatedCoordinates, deprecatedSince } from './check/deprecations';
import { chooseBase, GitRevisions } from './check/gitRevisions';
import { readManifestOperations, type RegisteredOperation } from './check/registeredOperations';
import { formatVerdict, judgeSchemaChange } from './check/schemaChange';

const API_SCHEMA_PATH = 'schema/api.graphql';
const ACKNOWLEDGEMENTS_PATH = 'schema/acknowledged-changes.json';
const DEFAULT_DEPRECATION_DAYS = 30;

function deprecationDays(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_DEPRECATION_DAYS;
  if (!/^\d+$/.test(raw)) throw new Error(`SCHEMA_DEPRECATION_DAYS must be a whole number of days (got ${JSON.stringify(raw)})`);
  return Number(raw);
}

function acknowledgements(root: string): Acknowledgement[] {
  const path = join(root, ACKNOWLEDGEMENTS_PATH);
  return existsSync(path) ? parseAcknowledgements(readFileSync(path, 'utf8'), ACKNOWLEDGEMENTS_PATH) : [];
}

function registeredOperations(manifest: string | undefined): RegisteredOperation[] {
  return manifest ? readManifestOperations(readFileSync(manifest, 'utf8'), manifest) : [];
}

async function main(): Promise<boolean> {
  const root = GitRevisions.toplevel(process.cwd());
  const git = new GitRevisions(root);
  const days = deprecationDays(process.env.SCHEMA_DEPRECATION_DAYS);
  const headPath = join(root, API_SCHEMA_PATH);
  if (!existsSync(headPath)) throw new Error(`${API_SCHEMA_PATH} is missing: run \`npm run compose\``);
  const headSdl = readFileSync(headPath, 'utf8');
  const base = chooseBase(git, process.env.SCHEMA_CHECK_BASE);
  const baseSdl = base.commit === undefined ? undefined : git.fileAt(base.commit, API_SCHEMA_PATH);
  if (base.commit === undefined) process.stdout.write(`schema check: no base revision to compare with: ${base.why}\n`);
  else if (baseSdl === undefined) process.stdout.write(`schema check: ${base.described} (${base.commit.slice(0, 12)}) has no ${API_SCHEMA_PATH}; nothing to compare\n`);
  else process.stdout.write(`schema check: ${API_SCHEMA_PATH} against ${base.described} (${base.commit.slice(0, 12)})\n`);
  const manifest = process.env.PERSISTED_QUERIES_MANIFEST;
  const operations = registeredOperations(manifest);
  const verdict = await judgeSchemaChange({
    baseSdl,
    headSdl,
    acknowledgements: acknowledgements(root),
    deprecatedSince:
      base.commit === undefined || baseSdl === undefined
        ? new Map()
        : deprecatedSince(deprecatedCoordinates(baseSdl), git.versions(base.commit, API_SCHEMA_PATH)),
    deprecationDays: days,
    now: new Date(),
    operations,
  });
  const report = formatVerdict(verdict);
  if (report) process.stdout.write(`${report}\n`);
  process.stdout.write(
    manifest
      ? `${operations.length - verdict.invalidOperations.length} of ${operations.length} registered operations in ${manifest} validate\n`
      : 'no trusted-documents manifest (PERSISTED_QUERIES_MANIFEST) to check\n',
  );
  process.stdout.write(verdict.ok ? 'schema check passed\n' : 'schema check FAILED\n');
  return verdict.ok;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (error: unknown) => {
    process.stderr.write(`schema check failed to run: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
