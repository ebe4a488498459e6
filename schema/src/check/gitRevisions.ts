import { spawnSync } from 'node:child_process';
import type { SchemaVersion } from './deprecations';

/** The few git questions the schema check asks, in one repository. */
export class GitRevisions {
  constructor(private readonly root: string) {}

  static toplevel(cwd: string): string {
    const result = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`not in a git repository (${cwd}): ${result.stderr.trim()}`);
    return result.stdout.trim();
  }

  private git(args: readonly string[]): string | undefined {
    const result = spawnSync('git', args, { cwd: this.root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return result.status === 0 ? result.stdout : undefined;
  }

  /** The commit a revision names, or undefined when it names none here. */
  commit(revision: string): string | undefined {
    return this.git(['rev-parse', '--verify', '--quiet', `${revision}^{commit}`])?.trim() || undefined;
  }

  mergeBase(a: string, b: string): string | undefined {
    return this.git(['merge-base', a, b])?.trim() || undefined;
  }

  /** A file's text at a commit, or undefined when the commit has no such file. */
  fileAt(commit: string, path: string): string | undefined {
    return this.git(['show', `${commit}:${path}`]);
  }

  /** The versions of a file reachable from a commit, newest first, read lazily (see deprecatedSince). */
  *versions(commit: string, path: string): Generator<SchemaVersion> {
    const log = this.git(['log', '--format=%H %cI', commit, '--', path]) ?? '';
    for (const line of log.split('\n')) {
      const [hash, date] = line.split(' ');
      if (!hash || !date) continue;
      yield { committedAt: new Date(date), sdl: this.fileAt(hash, path) };
    }
  }
}

export type BaseRevision = { readonly commit: string; readonly described: string } | { readonly commit: undefined; readonly why: string };

/**
 * The revision to compare against: `SCHEMA_CHECK_BASE` when set (an unknown revision is an
 * error, not a pass); else where this branch left origin/main or main; else, on main itself or
 * without those branches (a fresh clone in CI), the previous commit.
 */
export function chooseBase(git: GitRevisions, configured: string | undefined): BaseRevision {
  if (configured) {
    const commit = git.commit(configured);
    if (!commit) throw new Error(`SCHEMA_CHECK_BASE=${configured} names no commit in this repository`);
    return { commit, described: `SCHEMA_CHECK_BASE=${configured}` };
  }
  const head = git.commit('HEAD');
  if (!head) return { commit: undefined, why: 'the repository has no commit yet' };
  for (const branch of ['origin/main', 'main']) {
    if (!git.commit(branch)) continue;
    const base = git.mergeBase('HEAD', branch);
    if (base && base !== head) return { commit: base, described: `merge-base of HEAD and ${branch}` };
  }
  const previous = git.commit('HEAD~1');
  if (previous) return { commit: previous, described: 'HEAD~1' };
  return { commit: undefined, why: 'HEAD has no parent (a first commit, or a shallow clone: fetch more history or set SCHEMA_CHECK_BASE)' };
}
