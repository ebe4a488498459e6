import type { Redis } from 'ioredis';

/**
 * The contract between subgraphs and the router's entity cache: after a write commits, the
 * subgraph (through its outbox relay or consumer) publishes the entities it changed on this
 * Redis channel, and every router instance evicts what it cached of them. The router knows
 * nothing of bookings or listings: an entity is its `__typename` and its `@key` fields.
 */
export const ENTITY_INVALIDATION_CHANNEL = 'entity-invalidation';

/** One changed entity: `{ typename: "Listing", key: { id: "…" } }`. */
export interface EntityReference {
  readonly typename: string;
  /** The entity's `@key` fields, as its representation carries them. */
  readonly key: Readonly<Record<string, unknown>>;
}

/**
 * JSON with object keys sorted at every level, so `{id, tenant}` and `{tenant, id}` name the
 * same entity whichever order a representation or an event lists them in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
}

/** The entity's identity as the cache indexes it: type and canonical key. */
export function entityIdentity(reference: EntityReference): string {
  return `${reference.typename}:${canonicalJson(reference.key)}`;
}

/** A message's text: a JSON array, so one commit's changes travel as one message. */
export function invalidationMessage(references: readonly EntityReference[]): string {
  return JSON.stringify(references.map((reference) => ({ typename: reference.typename, key: reference.key })));
}

/** The references in a message; malformed entries are dropped and counted, never thrown. */
export function parseInvalidationMessage(text: string): { readonly references: EntityReference[]; readonly malformed: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { references: [], malformed: 1 };
  }
  const entries: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
  const references: EntityReference[] = [];
  let malformed = 0;
  for (const entry of entries) {
    const candidate = entry as { typename?: unknown; key?: unknown } | null;
    if (candidate && typeof candidate.typename === 'string' && candidate.typename && candidate.key && typeof candidate.key === 'object' && !Array.isArray(candidate.key)) {
      references.push({ typename: candidate.typename, key: candidate.key as Record<string, unknown> });
    } else {
      malformed += 1;
    }
  }
  return { references, malformed };
}

/**
 * Publishes changed entities on the invalidation channel (under the deployment's key prefix).
 * Call it after the write committed: an eviction before the commit lets a read cache the old
 * value again.
 */
export async function publishEntityInvalidation(redis: Redis, keyPrefix: string, references: readonly EntityReference[]): Promise<void> {
  if (references.length === 0) return;
  await redis.publish(`${keyPrefix}${ENTITY_INVALIDATION_CHANNEL}`, invalidationMessage(references));
}
