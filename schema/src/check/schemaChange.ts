import { CriticalityLevel, diff, type Change } from '@graphql-inspector/core';
import { buildSchema } from 'graphql';
import type { Acknowledgement } from './acknowledgements';
import { deprecatedCoordinates } from './deprecations';
import { invalidOperations, type InvalidOperation, type RegisteredOperation } from './registeredOperations';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface SchemaChangeInput {
  /** The API schema on the base revision; undefined when the base has none (nothing to compare). */
  readonly baseSdl: string | undefined;
  readonly headSdl: string;
  readonly acknowledgements: readonly Acknowledgement[];
  /** For coordinates deprecated on the base: since when (see deprecatedSince). */
  readonly deprecatedSince: ReadonlyMap<string, Date>;
  /** How long a deprecation must have been out before what it deprecates may go. */
  readonly deprecationDays: number;
  readonly now: Date;
  /** Operations clients registered (trusted documents): each must still validate. */
  readonly operations: readonly RegisteredOperation[];
}

/** One change as the check reports it. */
export interface ReportedChange {
  readonly path: string;
  readonly message: string;
  readonly type: string;
}

export interface SchemaChangeVerdict {
  /** Breaking changes neither deprecated long enough nor acknowledged: they fail the check. */
  readonly breaking: readonly (ReportedChange & { readonly why: string })[];
  /** Breaking changes the policy lets through, with the reason. */
  readonly allowed: readonly (ReportedChange & { readonly why: string })[];
  readonly dangerous: readonly ReportedChange[];
  readonly safe: readonly ReportedChange[];
  readonly invalidOperations: readonly InvalidOperation[];
  readonly ok: boolean;
}

function reported(change: Change): ReportedChange {
  return { path: change.path ?? '(schema)', message: change.message, type: String(change.type) };
}

/** The deprecated coordinate a change's path is, or lies under (a deprecated field's arguments). */
function coveringDeprecation(path: string, deprecated: ReadonlySet<string>): string | undefined {
  const parts = path.split('.');
  for (let length = parts.length; length >= 2; length -= 1) {
    const candidate = parts.slice(0, length).join('.');
    if (deprecated.has(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The schema-change policy: compares two API schemas with @graphql-inspector/core and judges each
 * breaking change. It passes when the coordinate it touches was `@deprecated` on the base for at
 * least `deprecationDays`, or when an acknowledgement names its path; otherwise it fails.
 * Dangerous changes are reported only. Independently of the comparison, every registered
 * operation must validate against the new schema, whatever the policy allowed.
 */
export async function judgeSchemaChange(input: SchemaChangeInput): Promise<SchemaChangeVerdict> {
  const head = buildSchema(input.headSdl);
  const changes = input.baseSdl === undefined ? [] : await diff(buildSchema(input.baseSdl), head);
  const deprecatedOnBase = input.baseSdl === undefined ? new Set<string>() : deprecatedCoordinates(input.baseSdl);
  const acknowledged = new Map(input.acknowledgements.map((entry) => [entry.path, entry.reason]));
  const breaking: (ReportedChange & { why: string })[] = [];
  const allowed: (ReportedChange & { why: string })[] = [];
  const dangerous: ReportedChange[] = [];
  const safe: ReportedChange[] = [];
  for (const change of changes) {
    const entry = reported(change);
    if (change.criticality.level === CriticalityLevel.Dangerous) {
      dangerous.push(entry);
      continue;
    }
    if (change.criticality.level !== CriticalityLevel.Breaking) {
      safe.push(entry);
      continue;
    }
    const reason = acknowledged.get(entry.path);
    if (reason !== undefined) {
      allowed.push({ ...entry, why: `acknowledged: ${reason}` });
      continue;
    }
    const coordinate = coveringDeprecation(entry.path, deprecatedOnBase);
    if (coordinate === undefined) {
      breaking.push({ ...entry, why: 'not deprecated on the base: deprecate it first, or acknowledge the change with a reason' });
      continue;
    }
    const since = input.deprecatedSince.get(coordinate);
    if (since === undefined) {
      breaking.push({ ...entry, why: `${coordinate} is deprecated on the base, but no commit of the API schema shows since when` });
      continue;
    }
    const days = Math.floor((input.now.getTime() - since.getTime()) / DAY_MS);
    const sinceText = `${coordinate} deprecated since ${since.toISOString().slice(0, 10)} (${days} day${days === 1 ? '' : 's'})`;
    if (days >= input.deprecationDays) allowed.push({ ...entry, why: sinceText });
    else breaking.push({ ...entry, why: `${sinceText}, less than the ${input.deprecationDays} days the policy asks` });
  }
  const invalid = invalidOperations(head, input.operations);
  return { breaking, allowed, dangerous, safe, invalidOperations: invalid, ok: breaking.length === 0 && invalid.length === 0 };
}

/** The verdict as the command prints it: failures first, each with its path and why. */
export function formatVerdict(verdict: SchemaChangeVerdict): string {
  const lines: string[] = [];
  const section = (title: string, entries: readonly string[]): void => {
    if (entries.length === 0) return;
    lines.push(`${title} (${entries.length}):`, ...entries.map((entry) => `  ${entry}`));
  };
  section('BREAKING', verdict.breaking.map((change) => `${change.path}: ${change.message} — ${change.why}`));
  section(
    'registered operations that no longer validate',
    verdict.invalidOperations.map((operation) => `${operation.name}: ${operation.errors.join('; ')}`),
  );
  section('breaking, allowed by the policy', verdict.allowed.map((change) => `${change.path}: ${change.message} — ${change.why}`));
  section('dangerous (not failing; check clients)', verdict.dangerous.map((change) => `${change.path}: ${change.message}`));
  section('safe', verdict.safe.map((change) => `${change.path}: ${change.message}`));
  return lines.join('\n');
}
