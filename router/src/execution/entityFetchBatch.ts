import type { FetchNode } from '@apollo/query-planner';
import { Kind, parse, print, stripIgnoredCharacters, visit, type DocumentNode, type FieldNode, type OperationDefinitionNode } from 'graphql';
import { ownValue, setOwnValue } from './ownProperties';
import type { SubgraphAnswer } from './subgraphClient';

type JsonObject = Record<string, unknown>;

/**
 * SUBGRAPH_BATCHING: when a request's entity fetches to one subgraph are ready at the same time,
 * they go as one operation (one `_entities` field per fetch, aliased) instead of one call each.
 * `plan`: fetches started in the same step of the plan (siblings of a parallel group). `tick`:
 * also those that become ready in the same turn of the event loop (answers that arrived
 * together let later fetches start together). `off`: one call per fetch, as the plan says.
 */
export type EntityBatching = 'plan' | 'tick' | 'off';

/** An entity fetch's operation taken apart once (plans are cached), so several can be written as one. */
interface EntityFetchTemplate {
  readonly id: number;
  readonly operationName: string | undefined;
  /** The operation's variables other than `$representations`: name → its definition, printed. */
  readonly variables: ReadonlyMap<string, string>;
  /** The `_entities` field's selection set, printed, its fragment spreads renamed. */
  readonly selection: string;
  /** The operation's fragments, printed under names of this fetch's own. */
  readonly fragments: string;
}

/** A fetch this module cannot merge (another shape than the planner's entity fetch): sent alone. */
const ALONE = null;
const templates = new WeakMap<FetchNode, EntityFetchTemplate | typeof ALONE>();
/** Merged operations' text, by their parts' templates (first part → the others' ids). */
const mergedTexts = new WeakMap<EntityFetchTemplate, Map<string, string>>();
let nextTemplateId = 0;
/** The merged operation's representations variables: `$_r0`, `$_r1`, … A fetch with a variable of that form is never merged. */
const REPRESENTATIONS_VARIABLE = /^_r\d+$/;

function minified(node: Parameters<typeof print>[0]): string {
  return stripIgnoredCharacters(print(node));
}

/** The single `_entities(representations: $representations)` field of a planner's entity fetch, or null. */
function entitiesField(operation: OperationDefinitionNode): FieldNode | null {
  if (operation.operation !== 'query' || operation.directives?.length || operation.selectionSet.selections.length !== 1) return null;
  const field = operation.selectionSet.selections[0];
  if (field?.kind !== Kind.FIELD || field.name.value !== '_entities' || field.alias || field.directives?.length || !field.selectionSet) return null;
  const argument = field.arguments?.length === 1 ? field.arguments[0] : undefined;
  if (argument?.name.value !== 'representations' || argument.value.kind !== Kind.VARIABLE || argument.value.name.value !== 'representations') return null;
  return field;
}

function templateOf(fetch: FetchNode): EntityFetchTemplate | typeof ALONE {
  const known = templates.get(fetch);
  if (known !== undefined) return known;
  const template = buildTemplate(fetch);
  templates.set(fetch, template);
  return template;
}

function buildTemplate(fetch: FetchNode): EntityFetchTemplate | typeof ALONE {
  let document: DocumentNode;
  try {
    document = parse(fetch.operation);
  } catch {
    return ALONE;
  }
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  const operation = operations.length === 1 ? (operations[0] as OperationDefinitionNode) : undefined;
  if (!operation || document.definitions.some((definition) => definition.kind !== Kind.OPERATION_DEFINITION && definition.kind !== Kind.FRAGMENT_DEFINITION)) return ALONE;
  if (!entitiesField(operation)) return ALONE;
  const id = nextTemplateId;
  nextTemplateId += 1;
  // Fragment names are the fetch's own: renamed so that two fetches' fragments never clash.
  const renamed = visit(document, {
    FragmentSpread: (node) => ({ ...node, name: { ...node.name, value: `_f${id}_${node.name.value}` } }),
    FragmentDefinition: (node) => ({ ...node, name: { ...node.name, value: `_f${id}_${node.name.value}` } }),
  });
  const renamedOperation = renamed.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  const variables = new Map<string, string>();
  for (const definition of renamedOperation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (name === 'representations') continue;
    if (REPRESENTATIONS_VARIABLE.test(name)) return ALONE;
    variables.set(name, minified(definition));
  }
  return {
    id,
    operationName: fetch.operationName,
    variables,
    selection: minified((entitiesField(renamedOperation) as FieldNode).selectionSet as NonNullable<FieldNode['selectionSet']>),
    fragments: renamed.definitions
      .filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map(minified)
      .join(' '),
  };
}

/** One operation asking for every part's entities: `_0: _entities(representations: $_r0) {…}`, … */
function mergedText(templates: readonly EntityFetchTemplate[]): string {
  const first = templates[0] as EntityFetchTemplate;
  let byRest = mergedTexts.get(first);
  if (!byRest) {
    byRest = new Map();
    mergedTexts.set(first, byRest);
  }
  const rest = templates.map((template) => template.id).join(',');
  const known = byRest.get(rest);
  if (known !== undefined) return known;
  const definitions = new Map<string, string>();
  for (const template of templates) for (const [name, definition] of template.variables) definitions.set(name, definition);
  const variables = [...templates.map((_template, index) => `$_r${index}:[_Any!]!`), ...definitions.values()].join(',');
  const fields = templates.map((template, index) => `_${index}:_entities(representations:$_r${index})${template.selection}`).join(' ');
  const fragments = templates.map((template) => template.fragments).filter((text) => text !== '').join(' ');
  const name = first.operationName === undefined ? '' : ` ${first.operationName}`;
  const text = `query${name}(${variables}){${fields}}${fragments === '' ? '' : ` ${fragments}`}`;
  byRest.set(rest, text);
  return text;
}

/** One entity fetch waiting for its batch. */
interface PendingFetch {
  readonly fetch: FetchNode;
  /** Set at the flush, only when another fetch to the subgraph waits beside this one. */
  template?: EntityFetchTemplate;
  readonly url: string;
  readonly variables: JsonObject;
  /** Serialised representations, as they go in the request. */
  readonly representations: readonly string[];
  resolve(answer: SubgraphAnswer): void;
  reject(error: unknown): void;
}

/** A waiting fetch that can be written into a merged operation: its template, set at the flush. */
interface MergeablePart extends PendingFetch {
  template: EntityFetchTemplate;
}

/** Fetches whose operations can be one: no fetch twice, and every shared variable alike in definition and value. */
class MergeGroup {
  readonly parts: MergeablePart[] = [];
  private readonly variables = new Map<string, { readonly definition: string; readonly value: string }>();

  /** Adds the part if it fits; each of its variables' values is serialised once. */
  tryAdd(part: MergeablePart): boolean {
    if (this.parts.some((other) => other.template === part.template)) return false;
    const values: [name: string, definition: string, value: string][] = [];
    for (const [name, definition] of part.template.variables) {
      const value = JSON.stringify(ownValue(part.variables, name) ?? null);
      const shared = this.variables.get(name);
      if (shared && (shared.definition !== definition || shared.value !== value)) return false;
      values.push([name, definition, value]);
    }
    this.parts.push(part);
    for (const [name, definition, value] of values) this.variables.set(name, { definition, value });
    return true;
  }
}

/** A merged call refused as sent (4xx): too large, or a subgraph that refuses aliases of `_entities`. Each part may still pass alone. */
function refusedAsSent(answer: SubgraphAnswer): boolean {
  if (answer.kind !== 'failed') return false;
  const status = answer.error.extensions?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** Sends an already written request body to a subgraph: the merged call, with no error policy of its own (see `send`). */
export type SendBody = (serviceName: string, url: string, body: string, entityCount: number) => Promise<SubgraphAnswer>;
/** Sends one fetch as the plan wrote it. */
export type SendAlone = (fetch: FetchNode, url: string, variables: JsonObject, representations: readonly string[]) => Promise<SubgraphAnswer>;

/**
 * One request's entity fetches, merged per subgraph when they are ready together. What each
 * fetch gets back is what it would have got alone: the merged answer is split only when it has
 * no errors; with errors (their paths and the error policy are a single fetch's), or refused as
 * sent, each part is sent again alone. A failure of the call (unavailable, timeout, 5xx) is
 * every part's failure, as it would have been of each call.
 */
export class EntityFetchBatcher {
  private pending = new Map<string, PendingFetch[]>();
  private scheduled = false;
  private readonly flushNow = (): void => this.flush();

  constructor(
    private readonly batching: Exclude<EntityBatching, 'off'>,
    private readonly sendBody: SendBody,
    private readonly sendAlone: SendAlone,
  ) {}

  send(fetch: FetchNode, url: string, variables: JsonObject, representations: readonly string[]): Promise<SubgraphAnswer> {
    // A fetch already known not to merge goes at once. Any other waits for the flush, which takes
    // its operation apart (its template) only if another fetch to that subgraph waits beside it:
    // a fetch that goes alone, like every fetch of an operation seen once, never pays for it.
    if (templates.get(fetch) === ALONE) return this.sendAlone(fetch, url, variables, representations);
    return new Promise<SubgraphAnswer>((resolve, reject) => {
      const waiting = this.pending.get(fetch.serviceName);
      // `template` from the start: one object shape for every part, whether it merges or not.
      const part: PendingFetch = { fetch, template: undefined, url, variables, representations, resolve, reject };
      if (waiting) waiting.push(part);
      else this.pending.set(fetch.serviceName, [part]);
      if (this.scheduled) return;
      this.scheduled = true;
      if (this.batching === 'plan') queueMicrotask(this.flushNow);
      else setImmediate(this.flushNow);
    });
  }

  private flush(): void {
    this.scheduled = false;
    const pending = this.pending;
    this.pending = new Map();
    for (const [serviceName, parts] of pending) {
      if (parts.length === 1) {
        this.alone(parts[0] as PendingFetch);
        continue;
      }
      const groups: MergeGroup[] = [];
      for (const part of parts) {
        const template = templateOf(part.fetch);
        if (template === ALONE) {
          this.alone(part);
          continue;
        }
        part.template = template;
        const mergeable = part as MergeablePart;
        if (groups.some((group) => group.tryAdd(mergeable))) continue;
        const group = new MergeGroup();
        group.tryAdd(mergeable);
        groups.push(group);
      }
      for (const group of groups) {
        if (group.parts.length === 1) this.alone(group.parts[0] as MergeablePart);
        else this.merged(serviceName, group.parts).catch((error: unknown) => group.parts.forEach((part) => part.reject(error)));
      }
    }
  }

  private alone(part: PendingFetch): void {
    this.sendAlone(part.fetch, part.url, part.variables, part.representations).then(part.resolve, part.reject);
  }

  private async merged(serviceName: string, parts: readonly MergeablePart[]): Promise<void> {
    const variables: JsonObject = {};
    for (const part of parts) for (const name of Object.keys(part.variables)) setOwnValue(variables, name, part.variables[name]);
    // Assembled around the already serialised representations, as a single fetch's body is.
    const given = JSON.stringify(variables);
    const lists = parts.map((part, index) => `"_r${index}":[${part.representations.join(',')}]`).join(',');
    const variablesJson = given === '{}' ? `{${lists}}` : `${given.slice(0, -1)},${lists}}`;
    const text = mergedText(parts.map((part) => part.template));
    const operationName = (parts[0] as MergeablePart).template.operationName;
    const named = operationName === undefined ? '' : `,"operationName":${JSON.stringify(operationName)}`;
    const body = `{"query":${JSON.stringify(text)},"variables":${variablesJson}${named}}`;
    const entityCount = parts.reduce((sum, part) => sum + part.representations.length, 0);
    const answer = await this.sendBody(serviceName, (parts[0] as MergeablePart).url, body, entityCount);
    if (answer.kind === 'response' && answer.errors.length === 0 && answer.data) {
      const data = answer.data;
      parts.forEach((part, index) => part.resolve({ kind: 'response', data: { _entities: data[`_${index}`] }, errors: [] }));
    } else if (answer.kind === 'response' || refusedAsSent(answer)) {
      for (const part of parts) this.alone(part);
    } else {
      for (const part of parts) part.resolve(answer);
    }
  }
}
