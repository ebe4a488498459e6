import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Where one cached entity fetch result lives. All three keys derive from the entity's
 * identity (type and canonical key): the entry holds one selection of it for one subgraph (and
 * one viewer when PRIVATE), the index lists every entry of the entity so an eviction finds
 * them, and the epoch counts the entity's evictions.
 */
export interface EntityCacheSlot {
  readonly entryKey: string;
  readonly indexKey: string;
  readonly epochKey: string;
}

/** A lookup's answer per slot: the cached value, or the epoch to store a fresh value under. */
export type EntityCacheLookup =
  | { readonly kind: 'hit'; readonly value: string }
  /** `epoch` null: Redis did not answer, so nothing fetched now may be stored. */
  | { readonly kind: 'miss'; readonly epoch: string | null };

export interface EntityCacheStoreSettings {
  readonly keyPrefix: string;
  /**
   * How long an entity's eviction count is kept. A read that began before an eviction is
   * refused at store time only while the count is kept, so this must exceed the longest
   * subgraph fetch (the request deadline) by far.
   */
  readonly epochTtlMs: number;
}

/**
 * Stores only if the entity was not evicted since the lookup that missed: a read that fetched
 * the old value before a write's eviction must not store it after (it would be served stale
 * until its max age). KEYS: entry, epoch, index. ARGV: epoch seen at lookup, value, ttl ms.
 */
const STORE_SCRIPT = `
local current = redis.call('GET', KEYS[2]) or '0'
if current ~= ARGV[1] then return 0 end
local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
redis.call('SADD', KEYS[3], KEYS[1])
if redis.call('PTTL', KEYS[3]) < ttl then redis.call('PEXPIRE', KEYS[3], ttl) end
return 1`;

/**
 * A root field entry: stored only if no entity at all was evicted since its lookup (a root
 * fetch's entities are known only from its answer, so their own epochs could not be read
 * before it), and listed in the index of every entity it contains, so their evictions drop it.
 * KEYS: entry, global epoch, the entities' indexes. ARGV: global epoch seen at lookup, value, ttl ms.
 */
const ROOT_STORE_SCRIPT = `
local current = redis.call('GET', KEYS[2]) or '0'
if current ~= ARGV[1] then return 0 end
local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
for index = 3, #KEYS do
  redis.call('SADD', KEYS[index], KEYS[1])
  if redis.call('PTTL', KEYS[index]) < ttl then redis.call('PEXPIRE', KEYS[index], ttl) end
end
return 1`;

/**
 * Counts the eviction first, the entity's and the global one (refusing stores of reads in
 * flight), then drops every entry. KEYS: epoch, index, global epoch. ARGV: epoch ttl ms.
 */
const EVICT_SCRIPT = `
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('INCR', KEYS[3])
local entries = redis.call('SMEMBERS', KEYS[2])
for first = 1, #entries, 500 do
  redis.call('DEL', unpack(entries, first, math.min(first + 499, #entries)))
end
redis.call('DEL', KEYS[2])
return #entries`;

function digest(text: string): string {
  return createHash('sha1').update(text).digest('base64url');
}

/**
 * The entity cache's Redis half: lookups, epoch-checked stores and evictions. It never throws:
 * Redis failing makes every lookup a miss that may not be stored (the request is served from
 * the subgraphs) and is told to `onRedisError`. One Redis (not a cluster): an eviction's
 * script deletes entries it reads from the index.
 */
export class EntityCacheStore {
  constructor(
    private readonly redis: Redis,
    private readonly settings: EntityCacheStoreSettings,
    private readonly onRedisError: (error: unknown) => void = () => undefined,
  ) {
    redis.defineCommand('entityCacheStore', { numberOfKeys: 3, lua: STORE_SCRIPT });
    redis.defineCommand('entityCacheEvict', { numberOfKeys: 3, lua: EVICT_SCRIPT });
    redis.defineCommand('rootFieldCacheStore', { lua: ROOT_STORE_SCRIPT });
  }

  /**
   * `identity`: `entityIdentity` of the entity; `variant`: what else the entry depends on
   * (subgraph, selection, the viewer for PRIVATE data), hashed into the entry's key.
   */
  slot(identity: string, variant: string): EntityCacheSlot {
    const entity = digest(identity);
    const prefix = this.settings.keyPrefix;
    return { entryKey: `${prefix}ec:e:${entity}:${digest(variant)}`, indexKey: `${prefix}ec:i:${entity}`, epochKey: `${prefix}ec:v:${entity}` };
  }

  /** One round trip for all slots: their entries and their entities' epochs. */
  async lookup(slots: readonly EntityCacheSlot[]): Promise<EntityCacheLookup[]> {
    if (slots.length === 0) return [];
    let values: (string | null)[];
    try {
      values = await this.redis.mget(...slots.map((slot) => slot.entryKey), ...slots.map((slot) => slot.epochKey));
    } catch (error) {
      this.onRedisError(error);
      return slots.map(() => ({ kind: 'miss', epoch: null }));
    }
    return slots.map((_slot, index) => {
      const value = values[index];
      return typeof value === 'string' ? { kind: 'hit', value } : { kind: 'miss', epoch: values[slots.length + index] ?? '0' };
    });
  }

  /** The key of a root fetch's entry; `variant`: everything its answer depends on. */
  rootEntryKey(variant: string): string {
    return `${this.settings.keyPrefix}ec:r:${digest(variant)}`;
  }

  /** A root fetch's entry, or the global eviction count to store a fresh one under. */
  async lookupRoot(entryKey: string): Promise<EntityCacheLookup> {
    try {
      const [value, epoch] = await this.redis.mget(entryKey, this.globalEpochKey);
      return typeof value === 'string' ? { kind: 'hit', value } : { kind: 'miss', epoch: epoch ?? '0' };
    } catch (error) {
      this.onRedisError(error);
      return { kind: 'miss', epoch: null };
    }
  }

  /** Stores a root fetch's answer unless any entity was evicted since `epoch` was read; true when stored. */
  async storeRoot(entryKey: string, epoch: string, value: string, ttlMs: number, identities: Iterable<string>): Promise<boolean> {
    if (ttlMs <= 0) return false;
    const indexes = [...identities].map((identity) => this.slot(identity, '').indexKey);
    try {
      const stored = await (this.redis as ScriptedRedis).rootFieldCacheStore(2 + indexes.length, entryKey, this.globalEpochKey, ...indexes, epoch, value, String(Math.ceil(ttlMs)));
      return stored === 1;
    } catch (error) {
      this.onRedisError(error);
      return false;
    }
  }

  private get globalEpochKey(): string {
    return `${this.settings.keyPrefix}ec:g`;
  }

  /** Stores `value` unless the entity was evicted since `epoch` was read; true when stored. */
  async store(slot: EntityCacheSlot, epoch: string, value: string, ttlMs: number): Promise<boolean> {
    if (ttlMs <= 0) return false;
    try {
      const stored = await (this.redis as ScriptedRedis).entityCacheStore(slot.entryKey, slot.epochKey, slot.indexKey, epoch, value, String(Math.ceil(ttlMs)));
      return stored === 1;
    } catch (error) {
      this.onRedisError(error);
      return false;
    }
  }

  /** Evicts every cached entry of the entity; the number of entries dropped (0 when Redis failed). */
  async evict(identity: string): Promise<number> {
    const { epochKey, indexKey } = this.slot(identity, '');
    try {
      return Number(await (this.redis as ScriptedRedis).entityCacheEvict(epochKey, indexKey, this.globalEpochKey, String(this.settings.epochTtlMs)));
    } catch (error) {
      this.onRedisError(error);
      return 0;
    }
  }
}

/** The commands `defineCommand` added. */
interface ScriptedRedis extends Redis {
  entityCacheStore(entry: string, epoch: string, index: string, seenEpoch: string, value: string, ttlMs: string): Promise<number>;
  entityCacheEvict(epoch: string, index: string, globalEpoch: string, epochTtlMs: string): Promise<number>;
  rootFieldCacheStore(numberOfKeys: number, ...keysThenArguments: string[]): Promise<number>;
}
