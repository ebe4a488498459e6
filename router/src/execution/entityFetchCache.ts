import { createHash } from 'node:crypto';
import type { FetchNode } from '@apollo/query-planner';
import { Kind, parse, isCompositeType, type FragmentDefinitionNode, type GraphQLSchema, type SelectionSetNode } from 'graphql';
import { canonicalJson, entityIdentity, type Viewer } from '@booking/runtime/dist/router';
import { selectionPolicy, type CacheControlHints, type CachePolicy } from './cacheControlHints';
import type { EntityCacheSlot, EntityCacheStore } from './entityCacheStore';
import type { EntityKeys } from './entityKeys';
import { countEntityCacheWrite, type RouterMetrics } from '../observability/routerMetrics';

type JsonObject = Record<string, unknown>;

/** An entity fetch's cache policy per type condition of its `_entities` selection. */
type FetchPolicies = ReadonlyMap<string, CachePolicy>;

/** One representation's place in the cache: where it lives and how long it may. */
interface CachedEntity {
  readonly slot: EntityCacheSlot;
  readonly ttlMs: number;
}

/**
 * What the cache had for one entity fetch. `values[i]` is representation i's cached entity, or
 * undefined; `misses` are the indexes to fetch. `remember` stores what the subgraph answered for
 * them (in `misses` order) — only from an answer without errors.
 */
export interface EntityFetchLookup {
  readonly values: readonly (JsonObject | undefined)[];
  readonly misses: readonly number[];
  remember(received: readonly unknown[]): Promise<void>;
}

/** A subgraph operation's text, hashed into cache keys (the text itself is long). */
export function operationHash(operation: string): string {
  return createHash('sha1').update(operation).digest('base64url');
}

/**
 * Who shares a PUBLIC entry: every viewer of one role and set of scopes (a subgraph answering
 * by authorization never leaks across kinds of viewer), or every anonymous reader.
 */
export function publicAudience(viewer: Viewer | null): string {
  return viewer ? `role:${viewer.role}:${[...viewer.scopes].sort().join(' ')}` : 'anonymous';
}

/** What both halves of the cache (entity fetches, root fields) work from, for one supergraph. */
export interface EntityCacheSources {
  readonly store: EntityCacheStore;
  readonly hints: CacheControlHints;
  readonly keys: EntityKeys;
  readonly schema: GraphQLSchema;
  /** Counts each cacheable lookup and each write (router_entity_cache_{lookups,writes}_total). */
  readonly metrics?: Pick<RouterMetrics, 'entityCacheLookups' | 'entityCacheWrites'>;
}

/**
 * The entity cache as the executor sees it: for an entity fetch, which representations are
 * cached, and storing the rest after the fetch. Nothing is cached without a `@cacheControl`
 * hint (a type without one is max age 0), nothing PRIVATE without a signed-in viewer (PRIVATE
 * entries are keyed by the viewer's id), and PUBLIC entries are keyed by the viewer's role and
 * scopes, so a subgraph that answers by authorization never leaks across kinds of viewer.
 */
export class EntityFetchCache {
  private readonly policies = new WeakMap<FetchNode, FetchPolicies>();

  constructor(
    private readonly store: EntityCacheStore,
    private readonly hints: CacheControlHints,
    private readonly keys: EntityKeys,
    private readonly schema: GraphQLSchema,
    /** Counts each cacheable entity's lookup and write (router_entity_cache_{lookups,writes}_total). */
    private readonly metrics?: Pick<RouterMetrics, 'entityCacheLookups' | 'entityCacheWrites'>,
  ) {}

  /**
   * Null: nothing of this fetch may be cached (no lookup was made). `variables`: the values the
   * fetch sends for the client's variables its fields use (`price(currency: $currency)`): an
   * answer is only good for the same ones, so they are part of each entry's variant.
   */
  async lookup(fetch: FetchNode, representations: readonly string[], variables: JsonObject, viewer: Viewer | null): Promise<EntityFetchLookup | null> {
    const policies = this.policiesOf(fetch);
    if (policies.size === 0) return null;
    const operation = fetch.variableUsages?.length ? `${operationHash(fetch.operation)}\n${canonicalJson(variables)}` : operationHash(fetch.operation);
    const cached: (CachedEntity | null)[] = representations.map((text) => {
      const representation = JSON.parse(text) as JsonObject;
      const typename = representation.__typename;
      const policy = typeof typename === 'string' ? policies.get(typename) : undefined;
      if (!policy || policy.maxAge <= 0 || typeof typename !== 'string') return null;
      if (policy.scope === 'PRIVATE' && !viewer) return null;
      const key = this.keys.keyOf(typename, representation);
      if (!key) return null;
      const audience = policy.scope === 'PRIVATE' ? `user:${viewer?.userId ?? ''}` : publicAudience(viewer);
      const variant = `${fetch.serviceName}\n${operation}\n${canonicalJson(representation)}\n${audience}`;
      return { slot: this.store.slot(entityIdentity({ typename, key }), variant), ttlMs: policy.maxAge * 1_000 };
    });
    const cacheable = cached.flatMap((entry, index) => (entry ? [index] : []));
    if (cacheable.length === 0) return null;
    const found = await this.store.lookup(cacheable.map((index) => (cached[index] as CachedEntity).slot));
    const values: (JsonObject | undefined)[] = new Array<JsonObject | undefined>(representations.length);
    const epochs = new Map<number, string>();
    const counted = this.metrics?.entityCacheLookups(fetch.serviceName);
    cacheable.forEach((index, position) => {
      const answer = found[position];
      if (answer?.kind === 'hit') {
        values[index] = JSON.parse(answer.value) as JsonObject;
        counted?.hit.inc();
      } else if (answer?.kind === 'miss' && answer.epoch !== null) {
        epochs.set(index, answer.epoch);
        counted?.miss.inc();
      } else {
        counted?.bypass.inc();
      }
    });
    const misses = representations.flatMap((_text, index) => (values[index] === undefined ? [index] : []));
    return {
      values,
      misses,
      remember: async (received) => {
        const written = this.metrics?.entityCacheWrites(fetch.serviceName);
        const stores: Promise<void>[] = [];
        misses.forEach((index, position) => {
          const entry = cached[index];
          const epoch = epochs.get(index);
          const value = received[position];
          if (!entry || epoch === undefined || value === null || typeof value !== 'object') return;
          stores.push(this.store.store(entry.slot, epoch, JSON.stringify(value), entry.ttlMs).then((stored) => countEntityCacheWrite(written, stored)));
        });
        await Promise.all(stores);
      },
    };
  }

  /** Computed once per fetch node (plans are cached, so once per operation). */
  private policiesOf(fetch: FetchNode): FetchPolicies {
    let policies = this.policies.get(fetch);
    if (policies) return policies;
    policies = this.computePolicies(fetch);
    this.policies.set(fetch, policies);
    return policies;
  }

  private computePolicies(fetch: FetchNode): FetchPolicies {
    const policies = new Map<string, CachePolicy>();
    const document = parse(fetch.operation, { noLocation: true });
    const fragments = new Map<string, FragmentDefinitionNode>();
    let entities: SelectionSetNode | undefined;
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
      if (definition.kind === Kind.OPERATION_DEFINITION) {
        for (const selection of definition.selectionSet.selections) {
          if (selection.kind === Kind.FIELD && selection.name.value === '_entities') entities = selection.selectionSet;
        }
      }
    }
    for (const selection of entities?.selections ?? []) {
      // Planner fetches select `__typename` and one inline fragment per entity type; anything
      // else (a fragment spread at the top) is not cached rather than guessed at.
      if (selection.kind !== Kind.INLINE_FRAGMENT || !selection.typeCondition) continue;
      const typename = selection.typeCondition.name.value;
      const type = this.schema.getType(typename);
      if (!type || !isCompositeType(type)) continue;
      const typeHint = this.hints.hint(typename);
      const policy = selectionPolicy(this.schema, this.hints, type, typeHint?.maxAge ?? 0, selection.selectionSet, fragments);
      const scoped: CachePolicy = typeHint?.scope === 'PRIVATE' ? { ...policy, scope: 'PRIVATE' } : policy;
      const earlier = policies.get(typename);
      policies.set(
        typename,
        earlier ? { maxAge: Math.min(earlier.maxAge, scoped.maxAge), scope: earlier.scope === 'PRIVATE' ? 'PRIVATE' : scoped.scope } : scoped,
      );
    }
    return policies;
  }
}
