import type { FetchNode } from '@apollo/query-planner';
import {
  getNamedType,
  isAbstractType,
  isCompositeType,
  isObjectType,
  Kind,
  OperationTypeNode,
  parse,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { canonicalJson, entityIdentity, type Viewer } from '@booking/runtime/dist/router';
import { selectionPolicy } from './cacheControlHints';
import { operationHash, publicAudience, type EntityCacheSources } from './entityFetchCache';
import type { EntityKeys } from './entityKeys';
import { countEntityCacheWrite } from '../observability/routerMetrics';

type JsonObject = Record<string, unknown>;

/** A root fetch as the cache sees it, worked out once per fetch node (plans are cached). */
interface RootFetchShape {
  readonly ttlMs: number;
  readonly operationHash: string;
  readonly selectionSet: SelectionSetNode;
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
}

/** What the cache had for one root fetch: its answer's data, or how to store the answer. */
export type RootFetchLookup = { readonly kind: 'hit'; readonly data: JsonObject } | { readonly kind: 'miss'; remember(data: JsonObject): void };

/**
 * The entities (identities) in a root fetch's answer, walking it with its selection; null when
 * an object of an entity type lacks its key fields (the fetch did not select them), so no
 * invalidation could name it: such an answer is not cached.
 */
function entitiesIn(
  schema: GraphQLSchema,
  keys: EntityKeys,
  type: GraphQLCompositeType,
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  value: JsonObject,
  found: Set<string>,
): boolean {
  const typename = typeof value.__typename === 'string' ? value.__typename : isObjectType(type) ? type.name : undefined;
  if (!typename) return !(isAbstractType(type) && schema.getPossibleTypes(type).some((possible) => keys.isEntity(possible.name)));
  const concrete = schema.getType(typename);
  if (!isObjectType(concrete)) return false;
  if (keys.isEntity(typename)) {
    const key = keys.keyOf(typename, value);
    if (!key) return false;
    found.add(entityIdentity({ typename, key }));
  }
  const applies = (condition: string | undefined) => {
    if (!condition || condition === typename) return true;
    const conditionType = schema.getType(condition);
    return isAbstractType(conditionType) && schema.isSubType(conditionType, concrete);
  };
  const visit = (selections: SelectionSetNode): boolean => {
    for (const selection of selections.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (applies(selection.typeCondition?.name.value) && !visit(selection.selectionSet)) return false;
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (!fragment) return false;
        if (applies(fragment.typeCondition.name.value) && !visit(fragment.selectionSet)) return false;
        continue;
      }
      if (!selection.selectionSet) continue;
      const field = concrete.getFields()[selection.name.value];
      const returned = field ? getNamedType(field.type) : undefined;
      if (!returned || !isCompositeType(returned)) return false;
      const inner = selection.selectionSet;
      const walk = (item: unknown): boolean => {
        if (item === null || item === undefined) return true;
        if (Array.isArray(item)) return item.every(walk);
        return typeof item === 'object' && entitiesIn(schema, keys, returned, inner, fragments, item as JsonObject, found);
      };
      if (!walk(value[selection.alias?.value ?? selection.name.value])) return false;
    }
    return true;
  };
  return visit(selectionSet);
}

/**
 * Root query fields in the entity cache (README "Caching"): a root fetch whose every root field
 * has a `@cacheControl` max age of its own and whose whole selection is PUBLIC with a max age, by the same `@cacheControl` rules as a response's Cache-Control, is
 * cached per subgraph, operation, variables and kind of viewer (role and scopes, as PUBLIC
 * entities are). Its entry joins the index of every entity in its answer, so the invalidation
 * that evicts one of them drops it too; an answer with an entity it cannot name is not stored.
 * Only queries; PRIVATE root fields are not cached.
 */
export class RootFieldCache {
  private readonly shapes = new WeakMap<FetchNode, RootFetchShape | null>();

  constructor(private readonly sources: EntityCacheSources) {}

  /** Null: this fetch is not cacheable (no lookup was made). */
  async lookup(fetch: FetchNode, variables: JsonObject, viewer: Viewer | null): Promise<RootFetchLookup | null> {
    const shape = this.shapeOf(fetch);
    if (!shape) return null;
    const { store, schema, keys } = this.sources;
    const entryKey = store.rootEntryKey(`${fetch.serviceName}\n${shape.operationHash}\n${canonicalJson(variables)}\n${publicAudience(viewer)}`);
    const found = await store.lookupRoot(entryKey);
    const counted = this.sources.metrics?.entityCacheLookups(fetch.serviceName);
    if (found.kind === 'hit') {
      counted?.hit.inc();
      return { kind: 'hit', data: JSON.parse(found.value) as JsonObject };
    }
    const epoch = found.epoch;
    if (epoch === null) counted?.bypass.inc();
    else counted?.miss.inc();
    return {
      kind: 'miss',
      remember: (data) => {
        if (epoch === null) return;
        const query = schema.getQueryType();
        const identities = new Set<string>();
        if (!query || !entitiesIn(schema, keys, query, shape.selectionSet, shape.fragments, data, identities)) return;
        // Serialised now: the executor merges later fetches into these very objects.
        const written = this.sources.metrics?.entityCacheWrites(fetch.serviceName);
        void store.storeRoot(entryKey, epoch, JSON.stringify(data), shape.ttlMs, identities).then((stored) => countEntityCacheWrite(written, stored));
      },
    };
  }

  private shapeOf(fetch: FetchNode): RootFetchShape | null {
    let shape = this.shapes.get(fetch);
    if (shape === undefined) {
      shape = this.computeShape(fetch);
      this.shapes.set(fetch, shape);
    }
    return shape;
  }

  private computeShape(fetch: FetchNode): RootFetchShape | null {
    if (fetch.operationKind !== OperationTypeNode.QUERY || fetch.requires) return null;
    const { schema, hints } = this.sources;
    const query = schema.getQueryType();
    if (!query) return null;
    const document = parse(fetch.operation, { noLocation: true });
    const fragments = new Map<string, FragmentDefinitionNode>();
    let selectionSet: SelectionSetNode | undefined;
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
      if (definition.kind === Kind.OPERATION_DEFINITION) selectionSet = definition.selectionSet;
    }
    if (!selectionSet) return null;
    // Opted in field by field: a root field without a hint of its own (`Query.viewer` takes
    // User's PUBLIC hint, yet answers per viewer) is never cached by its return type's hint.
    for (const selection of selectionSet.selections) {
      if (selection.kind !== Kind.FIELD || selection.name.value === '__typename') return null;
      if (hints.hint(`${query.name}.${selection.name.value}`)?.maxAge === undefined) return null;
    }
    const policy = selectionPolicy(schema, hints, query, 'root', selectionSet, fragments);
    if (policy.scope === 'PRIVATE' || !Number.isFinite(policy.maxAge) || policy.maxAge <= 0) return null;
    return { ttlMs: policy.maxAge * 1_000, operationHash: operationHash(fetch.operation), selectionSet, fragments };
  }
}
