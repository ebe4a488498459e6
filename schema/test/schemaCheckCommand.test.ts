import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * `npm run schema:check` as CI runs it (the built command), in a scratch git repository whose
 * history holds the API schema: the thin git part (base revision, file at the base, when a
 * deprecation was committed) on real git. The policy itself is tested in schemaChange.test.ts.
 */
const COMMAND = resolve(__dirname, '..', 'dist', 'schemaCheck.js');
const DAY_S = 24 * 60 * 60;

const V1 = 'type Query {\n  listings: [Listing!]!\n  listing(id: ID!): Listing\n}\n\ntype Listing {\n  id: ID!\n  title: String!\n}\n';
const V2 = V1.replace('listings: [Listing!]!', 'listings: [Listing!]! @deprecated(reason: "Use listing.")');
const V3 = V2.replace('  listings: [Listing!]! @deprecated(reason: "Use listing.")\n', '').replace('  title: String!\n', '');

describe('npm run schema:check (the command, on a git history)', () => {
  let repo: string;
  const env = { ...process.env, SCHEMA_CHECK_BASE: '', SCHEMA_DEPRECATION_DAYS: '', PERSISTED_QUERIES_MANIFEST: '' };

  function git(args: string[], ageDays = 0): void {
    const date = `@${Math.floor(Date.now() / 1000) - ageDays * DAY_S} +0000`;
    const result = spawnSync('git', args, {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' },
    });
    if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  }

  function commitSchema(sdl: string, ageDays: number, message: string): void {
    writeFileSync(join(repo, 'schema', 'api.graphql'), sdl);
    git(['add', '-A'], ageDays);
    git(['commit', '-qm', message], ageDays);
  }

  function check(extraEnv: Record<string, string> = {}): { status: number | null; output: string } {
    const result = spawnSync(process.execPath, [COMMAND], { cwd: repo, encoding: 'utf8', env: { ...env, ...extraEnv } });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  beforeEach(() => {
    repo = mkdtempSync(join(tmpdir(), 'schema-check-'));
    mkdirSync(join(repo, 'schema'));
    git(['init', '-q', '-b', 'main']);
  });
  afterEach(() => rmSync(repo, { recursive: true, force: true }));

  it('passes and says why when no base revision has the API schema', () => {
    writeFileSync(join(repo, 'README'), 'first');
    git(['add', 'README']);
    git(['commit', '-qm', 'first']);
    writeFileSync(join(repo, 'schema', 'api.graphql'), V1); // only in the working tree
    const first = check();
    expect(first.status).toBe(0);
    expect(first.output).toMatch(/no base revision to compare with: HEAD has no parent/);
    writeFileSync(join(repo, 'README'), 'second');
    git(['add', 'README']);
    git(['commit', '-qm', 'second']);
    const noFile = check();
    expect(noFile.status).toBe(0);
    expect(noFile.output).toMatch(/HEAD~1 \([0-9a-f]{12}\) has no schema\/api\.graphql; nothing to compare/);
  });

  it('fails an unacknowledged removal, allows one deprecated in a commit old enough, and names registered operations that break', () => {
    commitSchema(V1, 70, 'listings');
    commitSchema(V2, 45, 'deprecate listings');
    writeFileSync(join(repo, 'README'), 'unrelated');
    git(['add', '-A'], 1);
    git(['commit', '-qm', 'unrelated'], 1);
    writeFileSync(join(repo, 'schema', 'api.graphql'), V3); // the working tree's change

    const unacknowledged = check();
    expect(unacknowledged.status).toBe(1);
    expect(unacknowledged.output).toMatch(/against HEAD~1/);
    expect(unacknowledged.output).toMatch(/BREAKING \(1\):\n  Listing\.title: .* not deprecated on the base/);
    expect(unacknowledged.output).toMatch(/Query\.listings: .* Query\.listings deprecated since \d{4}-\d\d-\d\d \(45 days\)/);
    expect(unacknowledged.output).toMatch(/schema check FAILED/);

    writeFileSync(
      join(repo, 'schema', 'acknowledged-changes.json'),
      JSON.stringify({ changes: [{ path: 'Listing.title', reason: 'Titles moved to translations.' }] }),
    );
    const acknowledged = check();
    expect(acknowledged.output).toMatch(/Listing\.title: .* acknowledged: Titles moved to translations\./);
    expect(acknowledged.status).toBe(0);

    const longerPolicy = check({ SCHEMA_DEPRECATION_DAYS: '60' });
    expect(longerPolicy.status).toBe(1);
    expect(longerPolicy.output).toMatch(/\(45 days\), less than the 60 days the policy asks/);

    const manifest = join(repo, 'manifest.json');
    writeFileSync(
      manifest,
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [
          { id: 'a', name: 'AllListings', type: 'query', body: 'query AllListings { listings { id } }' },
          { id: 'b', name: 'OneListing', type: 'query', body: 'query OneListing { listing(id: "1") { id } }' },
        ],
      }),
    );
    const withManifest = check({ PERSISTED_QUERIES_MANIFEST: manifest });
    expect(withManifest.status).toBe(1);
    expect(withManifest.output).toMatch(/registered operations that no longer validate \(1\):\n  AllListings: Cannot query field "listings" on type "Query"\./);
    expect(withManifest.output).toMatch(/1 of 2 registered operations in .*manifest\.json validate/);
  });

  it('on a branch, compares with where it left main, whatever the branch committed since', () => {
    commitSchema(V1, 10, 'v1 on main');
    git(['checkout', '-q', '-b', 'feature']);
    commitSchema(V1.replace('  title: String!\n', ''), 2, 'remove title on the branch');
    writeFileSync(join(repo, 'README'), 'later');
    git(['add', '-A'], 1);
    git(['commit', '-qm', 'later on the branch'], 1);
    const result = check();
    expect(result.output).toMatch(/against merge-base of HEAD and main/);
    expect(result.output).toMatch(/BREAKING \(1\):\n  Listing\.title/);
    expect(result.status).toBe(1);
  });

  it('compares with SCHEMA_CHECK_BASE when set, and refuses a revision that does not exist', () => {
    commitSchema(V1, 10, 'v1');
    commitSchema(V2, 5, 'v2');
    const againstFirst = check({ SCHEMA_CHECK_BASE: 'HEAD~1' });
    expect(againstFirst.status).toBe(0);
    expect(againstFirst.output).toMatch(/against SCHEMA_CHECK_BASE=HEAD~1/);
    const unknown = check({ SCHEMA_CHECK_BASE: 'no-such-branch' });
    expect(unknown.status).toBe(1);
    expect(unknown.output).toMatch(/SCHEMA_CHECK_BASE=no-such-branch names no commit in this repository/);
    const badDays = check({ SCHEMA_DEPRECATION_DAYS: 'thirty' });
    expect(badDays.status).toBe(1);
    expect(badDays.output).toMatch(/SCHEMA_DEPRECATION_DAYS must be a whole number of days/);
  });
});
