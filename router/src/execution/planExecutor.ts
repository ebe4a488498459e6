import type { FetchNode, PlanNode, QueryPlan } from '@apollo/query-planner';
import type { GraphQLSchema } from 'graphql';
import type { Viewer } from '@booking/runtime/dist/router';
import type { EntityFetchCache, EntityFetchLookup } from './entityFetchCache';
import type { RootFieldCache } from './rootFieldCache';
import type { RequestDeadline } from './requestDeadline';
import { contextArgumentsOf } from './contextArguments';
import { flatRequiresOf, representationOf, representationText } from './entityRepresentation';
import { EntityFetchBatcher, type EntityBatching } from './entityFetchBatch';
import { applyRewrites } from './fetchRewrites';
import { collectAt, flattenSteps, responseKeysOf, type FlattenStep } from './flattenPath';
import { ownValue, setOwnValue } from './ownProperties';
import type { ResponseError, ResponsePath } from './responseError';
import type { SubgraphAnswer, SubgraphClient, SubgraphError } from './subgraphClient';
import type { SubgraphCallLog } from '../pipeline/requestLog';
import type { SubgraphErrorPolicy } from '../pipeline/subgraphErrorPolicy';
import { isAbstractTypeName } from './typeConditions';

type JsonObject = Record<string, unknown>;

/** What one request brings to plan execution. */
export interface ExecutionRequest {
  readonly variables: Readonly<Record<string, unknown>>;
  /** Signed identity and content headers (`signedHeaders`) for one call: the signature covers its subgraph and body. */
  readonly headers: (serviceName: string, body: string) => Readonly<Record<string, string>>;
  /** The client request's deadline: calls get what is left of it; none is sent after it. */
  readonly deadline?: RequestDeadline;
  /** The request's log: a subgraph's 4xx answer is a warning naming the request. */
  readonly log?: SubgraphCallLog;
  /** Who asks: PRIVATE cache entries are theirs alone (see EntityFetchCache). */
  readonly viewer?: Viewer | null;
  /** A query: its calls may be retried (SUBGRAPH_RETRIES). A mutation's never are: it may have run. */
  readonly retriable?: boolean;
}

export interface PlanRuntime {
  readonly client: SubgraphClient;
  readonly subgraphUrls: Readonly<Record<string, string>>;
  /** The supergraph schema: entity type conditions in `requires` are checked against it. */
  readonly supergraphSchema: GraphQLSchema;
  /** SUBGRAPH_ERRORS: what clients may see of each subgraph answer's errors. */
  readonly subgraphErrors: SubgraphErrorPolicy;
  /** ENTITY_CACHE=on: entity fetches are served from and stored in Redis where hints allow. */
  readonly entityCache?: EntityFetchCache;
  /** ENTITY_CACHE=on: root query fetches hinted PUBLIC are served from and stored in Redis. */
  readonly rootFieldCache?: RootFieldCache;
  /** SUBGRAPH_BATCHING: a request's entity fetches to one subgraph that are ready together share a call (default: off). */
  readonly entityBatching?: EntityBatching;
}

/**
 * The part of a plan we execute ourselves: sequences, parallel groups, conditions, fetches
 * (with their data rewrites for @interfaceObject and @context, see fetchRewrites and
 * contextArguments), flattened entity fetches (type-conditioned paths too, see flattenPath),
 * and @defer blocks made of those (run by deferredDelivery). Left to @apollo/gateway: context
 * rewrites on a fetch that is not an entity fetch (a root fetch has no ancestor to read a
 * context from; the planner never writes one), and node kinds this executor does not know.
 */
export function isExecutablePlan(node: PlanNode | undefined): boolean {
  if (!node) return true;
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      return node.nodes.every(isExecutablePlan);
    case 'Condition':
      return isExecutablePlan(node.ifClause) && isExecutablePlan(node.elseClause);
    case 'Flatten':
      return isExecutablePlan(node.node);
    case 'Fetch':
      return !node.contextRewrites?.length || !!node.requires?.length;
    case 'Defer':
      return isExecutablePlan(node.primary.node) && node.deferred.every((block) => isExecutablePlan(block.node));
    default:
      return false;
  }
}

/**
 * Merges a subgraph's answer into what earlier fetches produced for the same object. Keys are
 * response keys (client aliases such as `__proto__` or `constructor`), so only own properties
 * are read and written.
 */
function mergeInto(target: JsonObject, source: JsonObject): void {
  for (const key of Object.keys(source)) {
    const incoming = source[key];
    const existing = ownValue(target, key);
    if (existing !== null && typeof existing === 'object' && incoming !== null && typeof incoming === 'object') {
      if (Array.isArray(existing) && Array.isArray(incoming)) {
        const length = Math.min(existing.length, incoming.length);
        for (let index = 0; index < length; index += 1) {
          const left = existing[index] as unknown;
          const right = incoming[index] as unknown;
          if (left !== null && typeof left === 'object' && right !== null && typeof right === 'object') mergeInto(left as JsonObject, right as JsonObject);
          else if (left === undefined) existing[index] = right;
        }
      } else if (!Array.isArray(existing) && !Array.isArray(incoming)) {
        mergeInto(existing as JsonObject, incoming as JsonObject);
      }
    } else if (existing === undefined || existing === null) {
      setOwnValue(target, key, incoming);
    }
  }
}

/** Representation slot → the indexes of the entities that share it, in response order. */
function groupBySlot(entitySlots: Int32Array): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  entitySlots.forEach((slot, index) => {
    if (slot < 0) return;
    const group = groups.get(slot);
    if (group) group.push(index);
    else groups.set(slot, [index]);
  });
  return groups;
}

function downstreamError(error: SubgraphError, serviceName: string, path: ResponsePath | undefined): ResponseError {
  // A subgraph's stack trace (a subgraph in debug mode) names its files: never passed to clients.
  const { code, stacktrace: _dropped, ...extensions } = error.extensions ?? {};
  return {
    message: error.message || `Error while fetching subquery from service "${serviceName}"`,
    ...(path ? { path } : {}),
    extensions: { ...extensions, code: typeof code === 'string' ? code : 'DOWNSTREAM_SERVICE_ERROR', serviceName },
  };
}

/**
 * Executes a query plan against the subgraphs into one result tree. Entity representations are
 * de-duplicated per fetch (the same product under ten reviews is asked for once), and errors
 * are placed at the response path of the entity they concern, as @apollo/gateway does.
 */
export class PlanExecution {
  readonly errors: ResponseError[] = [];
  /** Made on the first entity fetch when SUBGRAPH_BATCHING is on. */
  private batcher: EntityFetchBatcher | undefined;

  constructor(
    private readonly runtime: PlanRuntime,
    private readonly request: ExecutionRequest,
    /** The variables with their defaults applied: @skip/@include conditions read these. */
    private readonly coercedVariables: Readonly<Record<string, unknown>>,
    /** Where results merge: the blocks of a deferred plan share one tree, each with its own errors. */
    readonly data: JsonObject = {},
  ) {}

  async run(node: QueryPlan['node']): Promise<void> {
    if (node && node.kind !== 'Subscription') await this.execute(node, []);
  }

  private async execute(node: PlanNode, path: readonly (string | number)[]): Promise<void> {
    switch (node.kind) {
      case 'Sequence':
        for (const child of node.nodes) await this.execute(child, path);
        return;
      case 'Parallel':
        await Promise.all(node.nodes.map((child) => this.execute(child, path)));
        return;
      case 'Flatten':
        return this.execute(node.node, [...path, ...node.path]);
      case 'Condition': {
        const branch = this.conditionHolds(node.condition) ? node.ifClause : node.elseClause;
        if (branch) await this.execute(branch, path);
        return;
      }
      case 'Fetch':
        return this.fetch(node, path);
      case 'Defer':
        // Asked for in one response (deferredDelivery sends the parts): every block, in the
        // planner's order, which puts a block after those it depends on.
        if (node.primary.node) await this.execute(node.primary.node, path);
        for (const block of node.deferred) if (block.node) await this.execute(block.node, path);
        return;
      default:
        throw new Error(`plan node ${(node as PlanNode).kind} is not executed by the router's executor`);
    }
  }

  private conditionHolds(variable: string): boolean {
    return this.coercedVariables[variable] === true;
  }

  private variablesFor(fetch: FetchNode): JsonObject {
    const variables: JsonObject = {};
    for (const name of fetch.variableUsages ?? []) {
      const value = ownValue(this.request.variables, name);
      if (value !== undefined) setOwnValue(variables, name, value);
    }
    return variables;
  }

  private async fetch(fetch: FetchNode, path: readonly (string | number)[]): Promise<void> {
    const url = this.runtime.subgraphUrls[fetch.serviceName];
    const schema = this.runtime.supergraphSchema;
    const steps = flattenSteps(path);
    const entities: JsonObject[] = [];
    // @fromContext values are read relative to each entity's place in the response.
    const withContext = !!fetch.requires && !!fetch.contextRewrites?.length;
    const entityPaths: ResponsePath[] | null = withContext ? [] : null;
    collectAt(schema, this.data, steps, 0, [], entities, entityPaths);
    if (entities.length === 0) return;
    if (!url) {
      this.errors.push({ message: `No URL for subgraph "${fetch.serviceName}"`, extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: fetch.serviceName } });
      return;
    }
    const variables = this.variablesFor(fetch);

    if (!fetch.requires) {
      const cached = this.runtime.rootFieldCache ? await this.runtime.rootFieldCache.lookup(fetch, variables, this.request.viewer ?? null) : null;
      if (cached?.kind === 'hit') {
        applyRewrites(schema, fetch.outputRewrites, cached.data);
        for (const entity of entities) mergeInto(entity, cached.data);
        return;
      }
      const answer = await this.send(fetch, url, variables);
      if (answer.kind === 'failed') return void this.errors.push(answer.error);
      const under = answer.errors.length > 0 ? responseKeysOf(steps) : [];
      for (const error of answer.errors) {
        this.errors.push(downstreamError(error, fetch.serviceName, error.path ? [...under, ...error.path] : undefined));
      }
      // Only an answer without errors is kept (before later fetches merge into its objects).
      if (answer.data && answer.errors.length === 0) cached?.remember(answer.data);
      if (answer.data) {
        applyRewrites(schema, fetch.outputRewrites, answer.data);
        for (const entity of entities) mergeInto(entity, answer.data);
      }
      return;
    }

    if (!withContext || !entityPaths) return this.fetchEntities(fetch, url, variables, entities, () => this.pathsAt(steps));
    // Entities whose contextual arguments differ cannot share a call (the arguments are
    // variables of the operation): one call per distinct set of values, side by side.
    const groups = new Map<string, { arguments: JsonObject; entities: JsonObject[]; paths: ResponsePath[] }>();
    entities.forEach((entity, index) => {
      const entityPath = entityPaths[index] as ResponsePath;
      const values = contextArgumentsOf(schema, this.data, entityPath, fetch.contextRewrites ?? []);
      const key = JSON.stringify(values);
      const group = groups.get(key);
      if (group) {
        group.entities.push(entity);
        group.paths.push(entityPath);
      } else {
        groups.set(key, { arguments: values, entities: [entity], paths: [entityPath] });
      }
    });
    await Promise.all(
      [...groups.values()].map((group) => {
        const withArguments: JsonObject = { ...variables };
        for (const name of Object.keys(group.arguments)) setOwnValue(withArguments, name, group.arguments[name]);
        return this.fetchEntities(fetch, url, withArguments, group.entities, () => group.paths);
      }),
    );
  }

  /** The response paths of the objects at a flatten path, in the order collectAt finds them. */
  private pathsAt(steps: readonly FlattenStep[]): ResponsePath[] {
    const objects: JsonObject[] = [];
    const paths: ResponsePath[] = [];
    collectAt(this.runtime.supergraphSchema, this.data, steps, 0, [], objects, paths);
    return paths;
  }

  /**
   * One `_entities` call for these entities. `pathsOf` gives their response paths, in the same
   * order, only when an error needs placing (most answers have none).
   */
  private async fetchEntities(fetch: FetchNode, url: string, variables: JsonObject, entities: readonly JsonObject[], pathsOf: () => readonly ResponsePath[]): Promise<void> {
    const schema = this.runtime.supergraphSchema;
    // One representation per distinct entity; each entity remembers which one is its own. The
    // serialised representation is both the de-duplication key and its text in the request.
    const representations: string[] = [];
    const slotOf = new Map<string, number>();
    const entitySlots = new Int32Array(entities.length).fill(-1);
    // Most `requires` are leaves (`... on T { __typename id }`): their text is written straight
    // from the entity. Input rewrites change the representation, so they take the object path.
    const flat = fetch.inputRewrites?.length ? null : flatRequiresOf(fetch.requires ?? []);
    for (let index = 0; index < entities.length; index += 1) {
      let key: string;
      if (flat) {
        const text = representationText(schema, entities[index] as JsonObject, flat);
        if (text === null) continue;
        key = text;
      } else {
        const representation = representationOf(schema, entities[index] as JsonObject, fetch.requires ?? []);
        if (!representation || !representation.__typename) continue;
        // After the rewrite (an interface object's `__typename`), so entities that now read alike share one.
        applyRewrites(schema, fetch.inputRewrites, representation);
        key = JSON.stringify(representation);
      }
      let slot = slotOf.get(key);
      if (slot === undefined) {
        slot = representations.length;
        representations.push(key);
        slotOf.set(key, slot);
      }
      entitySlots[index] = slot;
    }
    if (representations.length === 0) return;
    if ('representations' in variables) {
      this.errors.push(downstreamError({ message: 'Variables cannot contain key "representations"' }, fetch.serviceName, undefined));
      return;
    }
    // The cache keys an answer by its representation alone: not one that depends on context arguments.
    const cached = this.runtime.entityCache && !fetch.contextRewrites?.length ? await this.runtime.entityCache.lookup(fetch, representations, variables, this.request.viewer ?? null) : null;
    let received: readonly unknown[] | null;
    if (cached) {
      received = await this.fetchMisses(fetch, url, variables, representations, cached, pathsOf, entitySlots);
    } else {
      // Without the cache, no extra call or promise per fetch: the hot path stays as it was.
      const answer = await this.sendEntities(fetch, url, variables, representations);
      if (answer.kind === 'failed') return void this.errors.push(answer.error);
      const answered = answer.data?._entities;
      if (answer.errors.length > 0) this.entityErrors(fetch.serviceName, answer.errors, pathsOf, entitySlots);
      received = this.entitiesOf(fetch.serviceName, answered, representations.length, answer.errors.length > 0);
    }
    if (!received) return;
    // Output rewrites apply once per answered entity, after it has its `__typename` (their
    // `... on T` steps read it), whether the answer came from the subgraph or the cache.
    const rewritten = fetch.outputRewrites?.length ? new Uint8Array(received.length) : null;
    entities.forEach((entity, index) => {
      const slot = entitySlots[index] as number;
      const value = slot < 0 ? null : (received[slot] as JsonObject | null);
      if (value === null || typeof value !== 'object') return;
      if (value.__typename === undefined) value.__typename = entity.__typename;
      if (rewritten && rewritten[slot] === 0) {
        applyRewrites(schema, fetch.outputRewrites, value);
        rewritten[slot] = 1;
      }
      // An interface object (`__typename` naming the interface) learns its concrete type from
      // the subgraph that owns the interface; merging keeps what is there, so it is set first.
      if (value.__typename !== entity.__typename && typeof value.__typename === 'string' && isAbstractTypeName(schema, entity.__typename) && !isAbstractTypeName(schema, value.__typename)) {
        entity.__typename = value.__typename;
      }
      mergeInto(entity, value);
    });
  }

  /** `_entities` if it is an array of the expected length; else null, with an error saying why (unless the answer had errors). */
  private entitiesOf(serviceName: string, answered: unknown, expected: number, hadErrors: boolean): readonly unknown[] | null {
    if (!Array.isArray(answered)) {
      if (!hadErrors) this.errors.push(downstreamError({ message: 'Expected "data._entities" in response to be an array' }, serviceName, undefined));
      return null;
    }
    if (answered.length !== expected) {
      this.errors.push(downstreamError({ message: `Expected "data._entities" to contain ${expected} elements` }, serviceName, undefined));
      return null;
    }
    return answered as unknown[];
  }

  /**
   * With the entity cache: only the representations it lacks are sent; the subgraph's error
   * paths (indexes into what was sent) are turned back into the representations' own. What the
   * subgraph answers is stored only from an answer without errors, and without delaying this one.
   */
  private async fetchMisses(
    fetch: FetchNode,
    url: string,
    variables: JsonObject,
    representations: readonly string[],
    cached: EntityFetchLookup,
    pathsOf: () => readonly ResponsePath[],
    entitySlots: Int32Array,
  ): Promise<readonly unknown[] | null> {
    const values: unknown[] = [...cached.values];
    if (cached.misses.length === 0) return values;
    const missing = cached.misses.map((slot) => representations[slot] as string);
    const answer = await this.sendEntities(fetch, url, variables, missing);
    if (answer.kind === 'failed') {
      this.errors.push(answer.error);
      return null;
    }
    const errors = answer.errors.map((error) => {
      const sent = error.path?.[1];
      if (!error.path || error.path[0] !== '_entities' || typeof sent !== 'number') return error;
      return { ...error, path: ['_entities', cached.misses[sent] ?? -1, ...error.path.slice(2)] };
    });
    if (errors.length > 0) this.entityErrors(fetch.serviceName, errors, pathsOf, entitySlots);
    const received = this.entitiesOf(fetch.serviceName, answer.data?._entities, missing.length, errors.length > 0);
    if (!received) return null;
    cached.misses.forEach((slot, position) => {
      values[slot] = received[position];
    });
    if (errors.length === 0) void cached.remember(received);
    return values;
  }

  /**
   * `_entities` errors point at a representation; the client is told the entity's own path,
   * once for every entity that shared that (de-duplicated) representation: each of them failed.
   */
  private entityErrors(serviceName: string, errors: readonly SubgraphError[], pathsOf: () => readonly ResponsePath[], entitySlots: Int32Array): void {
    const paths = pathsOf();
    let entitiesOfSlot: Map<number, number[]> | undefined;
    for (const error of errors) {
      const slot = error.path?.[1];
      if (!error.path || error.path[0] !== '_entities' || typeof slot !== 'number') {
        this.errors.push(downstreamError(error, serviceName, error.path ? [...error.path] : undefined));
        continue;
      }
      entitiesOfSlot ??= groupBySlot(entitySlots);
      const entities = entitiesOfSlot.get(slot);
      if (!entities) {
        this.errors.push(downstreamError(error, serviceName, undefined));
        continue;
      }
      for (const entityIndex of entities) this.errors.push(downstreamError(error, serviceName, [...(paths[entityIndex] ?? []), ...error.path.slice(2)]));
    }
  }

  /**
   * The request body is assembled around the already serialised representations, not
   * re-serialised. The answer's errors pass the subgraph error policy here, once per fetch,
   * before anything reads them.
   */
  private async send(fetch: FetchNode, url: string, variables: JsonObject, representations?: readonly string[]): Promise<SubgraphAnswer> {
    let variablesJson = JSON.stringify(variables);
    if (representations) {
      const list = `"representations":[${representations.join(',')}]`;
      variablesJson = variablesJson === '{}' ? `{${list}}` : `${variablesJson.slice(0, -1)},${list}}`;
    }
    const operationName = fetch.operationName === undefined ? '' : `,"operationName":${JSON.stringify(fetch.operationName)}`;
    const body = `{"query":${JSON.stringify(fetch.operation)},"variables":${variablesJson}${operationName}}`;
    const answer = await this.sendBody(fetch.serviceName, url, body, representations?.length);
    if (answer.kind === 'failed' || answer.errors.length === 0) return answer;
    return { ...answer, errors: this.runtime.subgraphErrors.apply(fetch.serviceName, answer.errors, this.request.log) };
  }

  private sendBody(serviceName: string, url: string, body: string, entityCount: number | undefined): Promise<SubgraphAnswer> {
    return this.runtime.client.send(serviceName, url, body, this.request.headers, this.request.deadline, this.request.log, entityCount, this.request.retriable);
  }

  /** An `_entities` call: alone, or with the request's other entity fetches to the subgraph that are ready with it (SUBGRAPH_BATCHING). */
  private sendEntities(fetch: FetchNode, url: string, variables: JsonObject, representations: readonly string[]): Promise<SubgraphAnswer> {
    const batching = this.runtime.entityBatching ?? 'off';
    if (batching === 'off') return this.send(fetch, url, variables, representations);
    this.batcher ??= new EntityFetchBatcher(
      batching,
      (serviceName, toUrl, body, entityCount) => this.sendBody(serviceName, toUrl, body, entityCount),
      (alone, toUrl, aloneVariables, aloneRepresentations) => this.send(alone, toUrl, aloneVariables, aloneRepresentations),
    );
    return this.batcher.send(fetch, url, variables, representations);
  }
}
