import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DeferNode, DeferredNode, PlanNode, QueryPlan } from '@apollo/query-planner';
import { getNamedType, isObjectType, parse, type GraphQLObjectType, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { ownValue } from './ownProperties';
import type { PlanExecution } from './planExecutor';
import type { ResponseError, ResponsePath } from './responseError';
import { ResultShaper } from './resultShaper';
import { valueCompletionErrorsBeside } from './valueCompletionErrors';
import type { ResponseExtensions } from '../pipeline/costExposure';
import { NO_STORE } from '../pipeline/responseCacheControl';

type JsonObject = Record<string, unknown>;

/**
 * The one format served: Apollo Client 3.x's (`deferSpec=20220824`), as Apollo Server and Apollo
 * Router write it: a boundary of `-`, each part a JSON object with `hasNext`.
 */
export const DEFER_CONTENT_TYPE = 'multipart/mixed; boundary="-"; deferSpec=20220824';

/** Apollo Router's words and code for @defer asked without a multipart Accept header (HTTP 406). */
export const DEFER_BAD_HEADER: ResponseError = {
  message:
    "the router received a query with the @defer directive but the client does not accept multipart/mixed HTTP responses. To enable @defer support, add the HTTP header 'Accept: multipart/mixed;deferSpec=20220824'",
  extensions: { code: 'DEFER_BAD_HEADER' },
};

/**
 * Does the Accept header take Apollo's incremental format? As Apollo Router decides it: a
 * `multipart/mixed` entry with `deferSpec=20220824` (quoted or not), not refused with q=0.
 */
export function acceptsDeferredParts(accept: string | undefined): boolean {
  for (const entry of (accept ?? '').split(',')) {
    const [mediaType = '', ...parameters] = entry.split(';').map((part) => part.trim().toLowerCase());
    if (mediaType !== 'multipart/mixed') continue;
    const values = new Map(parameters.map((parameter) => {
      const equals = parameter.indexOf('=');
      return [parameter.slice(0, equals).trim(), parameter.slice(equals + 1).trim().replace(/^"|"$/g, '')] as const;
    }));
    if (values.get('deferspec') === '20220824' && values.get('q') !== '0') return true;
  }
  return false;
}

/**
 * The Defer node this request runs, if any: the planner puts @defer at the plan's root, under
 * Condition nodes for `@defer(if: $variable)` (the else branch is the plan without that defer).
 * Undefined when the variables turn every defer off: the request is then answered at once.
 */
export function deferredRootOf(node: QueryPlan['node'], variables: Readonly<Record<string, unknown>>): DeferNode | undefined {
  let current: PlanNode | QueryPlan['node'] = node;
  while (current?.kind === 'Condition') current = variables[current.condition] === true ? current.ifClause : current.elseClause;
  return current?.kind === 'Defer' ? current : undefined;
}

/**
 * Response shapes of the planner's subselections (`{ host { id } }` at `listings.edges.node`),
 * compiled once per subselection and concrete type, and kept with the plan they belong to.
 */
class SubselectionShapers {
  private readonly shapers = new Map<string, ResultShaper>();

  constructor(private readonly schema: GraphQLSchema) {}

  shaperFor(subselection: string, type: GraphQLObjectType): ResultShaper {
    const key = `${type.name} ${subselection}`;
    let shaper = this.shapers.get(key);
    if (!shaper) {
      const operation = parse(subselection, { noLocation: true }).definitions[0] as OperationDefinitionNode;
      shaper = new ResultShaper(this.schema, type, operation.selectionSet as SelectionSetNode, {});
      this.shapers.set(key, shaper);
    }
    return shaper;
  }
}

const shapersByPlan = new WeakMap<QueryPlan, SubselectionShapers>();

function shapersOf(plan: QueryPlan, schema: GraphQLSchema): SubselectionShapers {
  let shapers = shapersByPlan.get(plan);
  if (!shapers) {
    shapers = new SubselectionShapers(schema);
    shapersByPlan.set(plan, shapers);
  }
  return shapers;
}

/** One object a deferred fragment applies to, with its response path and runtime type. */
interface DeferTarget {
  readonly object: JsonObject;
  readonly path: ResponsePath;
  readonly type: GraphQLObjectType | undefined;
}

/**
 * The objects at a defer's query path (response keys, `... on T` steps, lists stepped into
 * item by item), with their types: the object's `__typename` when it has one (the planner asks
 * for it at entity boundaries), else the field's type in the schema.
 */
function targetsAt(schema: GraphQLSchema, root: GraphQLObjectType, data: JsonObject, queryPath: readonly string[]): DeferTarget[] {
  const targets: DeferTarget[] = [];
  const walk = (value: unknown, step: number, path: ResponsePath, staticType: GraphQLObjectType | undefined): void => {
    if (value === null || value === undefined || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach((item, index) => walk(item, step, [...path, index], staticType));
      return;
    }
    const object = value as JsonObject;
    const typename = object.__typename;
    const named = typeof typename === 'string' ? schema.getType(typename) : undefined;
    const type = isObjectType(named) ? named : staticType;
    if (step === queryPath.length) {
      targets.push({ object, path, type });
      return;
    }
    const element = queryPath[step] as string;
    if (element.startsWith('... on ')) {
      const condition = element.slice('... on '.length);
      if (!type || type.name === condition || schema.isSubType(schema.getType(condition) as never, type)) walk(object, step + 1, path, type);
      return;
    }
    const fieldType = type?.getFields()[element]?.type;
    const next = fieldType ? getNamedType(fieldType) : undefined;
    walk(ownValue(object, element), step + 1, [...path, element], isObjectType(next) ? next : undefined);
  };
  walk(data, 0, [], root);
  return targets;
}

/** Is `prefix` the path itself or one of its ancestors? */
function within(prefix: ResponsePath, path: ResponsePath | undefined): boolean {
  return !!path && prefix.length <= path.length && prefix.every((key, index) => key === path[index]);
}

/** One entry of an `incremental` list, as Apollo Client 3.x merges it. */
interface IncrementalEntry {
  readonly data: JsonObject | null;
  readonly path: ResponsePath;
  readonly label?: string;
  readonly errors?: readonly ResponseError[];
}

export interface DeferredRun {
  readonly plan: QueryPlan;
  readonly root: DeferNode;
  readonly schema: GraphQLSchema;
  readonly rootType: GraphQLObjectType;
  readonly variables: Readonly<Record<string, unknown>>;
  /** What the stages add to the response (cost, query plan): carried by the first part. */
  readonly extensions: ResponseExtensions;
  /** A plan execution writing into `data` (all blocks of one request merge into one tree), with errors of its own. */
  readonly execution: (data: JsonObject) => PlanExecution;
  /** Errors the first part carries besides its fetch errors (fields access rules removed). */
  readonly accessErrors: (primaryData: JsonObject | null) => readonly ResponseError[];
  /** Told every error that goes out, for the request's log line. */
  readonly recordErrors: (errors: readonly ResponseError[]) => void;
  /** Told what broke a block (a bug, not a subgraph's failure), for the request's log line. */
  readonly failed: (error: unknown) => void;
}

/**
 * Answers a plan with @defer as Apollo Router does: the primary block first, shaped against
 * the operation without its deferred fragments, as `{data, hasNext: true}`; then every deferred
 * block once the fetches it depends on are done, as `{incremental: [...], hasNext}`, one entry
 * per object at its path (one per list item), shaped against its own subselection. A nested
 * defer starts once its parent's part is sent. The caller has sent no header yet.
 */
async function deliverDeferred(run: DeferredRun, response: ServerResponse): Promise<void> {
  // Never kept: parts of one response arrive over time, and partial answers must not be served.
  response.writeHead(200, { 'content-type': DEFER_CONTENT_TYPE, 'cache-control': NO_STORE });
  const data: JsonObject = {};
  const shapers = shapersOf(run.plan, run.schema);
  let first = true;
  const write = (part: JsonObject, hasNext: boolean): void => {
    const body = `content-type: application/json; charset=utf-8\r\n\r\n${JSON.stringify({ ...part, hasNext })}\r\n---${hasNext ? '' : '--'}\r\n`;
    response.write(first ? `\r\n---\r\n${body}` : body);
    first = false;
  };

  const primary = run.execution(data);
  let shaped: { data: JsonObject | null; errors: readonly ResponseError[] };
  try {
    if (run.root.primary.node) await primary.run(run.root.primary.node);
    shaped = run.root.primary.subselection ? shapers.shaperFor(run.root.primary.subselection, run.rootType).shape(data, run.variables) : { data: {}, errors: [] };
  } catch (error) {
    // As the single-response path: the stack goes on the request's line, the client is told.
    run.failed(error);
    write({ errors: [INTERNAL_ERROR], data: null }, false);
    response.end();
    return;
  }
  const errors = [...run.accessErrors(shaped.data), ...primary.errors];
  const initialErrors = [...errors, ...valueCompletionErrorsBeside(errors, shaped.errors)];
  run.recordErrors(initialErrors);

  // Parts still to come: a block counts until its part (and its nested blocks') are sent.
  let pending = 0;
  let finished: () => void = () => undefined;
  const allSent = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const sendPart = (entries: readonly IncrementalEntry[]): void => {
    pending -= 1;
    if (entries.length > 0 || pending === 0) write(entries.length > 0 ? { incremental: entries } : {}, pending > 0);
    if (pending === 0) finished();
  };

  const startBlocks = (blocks: readonly DeferredNode[]): void => {
    if (blocks.length === 0) return;
    pending += blocks.length;
    // A block waits for the blocks holding the fetches it depends on (the primary's are done).
    const done = new Map<string, Promise<void>>();
    const runs = blocks.map((block) => {
      let release: () => void = () => undefined;
      const finishedBlock = new Promise<void>((resolve) => {
        release = resolve;
      });
      for (const id of fetchIdsIn(block.node)) done.set(id, finishedBlock);
      return { block, release: () => release() };
    });
    for (const { block, release } of runs) {
      const waits = block.depends.map((dependency) => done.get(dependency.id)).filter((wait): wait is Promise<void> => wait !== undefined);
      void Promise.all(waits)
        .then(() => runBlock(block))
        .catch((error: unknown): IncrementalEntry[] => {
          // The error and its stack go on the request's line; the client is told the block failed.
          run.failed(error);
          return [{ data: null, path: [...block.queryPath], ...(block.label ? { label: block.label } : {}), errors: [INTERNAL_ERROR] }];
        })
        .then((entries) => {
          release();
          const nested = block.node?.kind === 'Defer' ? block.node.deferred : [];
          startBlocks(nested);
          sendPart(entries);
        });
    }
  };

  const runBlock = async (block: DeferredNode): Promise<IncrementalEntry[]> => {
    const execution = run.execution(data);
    const node = block.node?.kind === 'Defer' ? block.node.primary.node : block.node;
    const subselection = block.node?.kind === 'Defer' ? block.node.primary.subselection : block.subselection;
    if (node) await execution.run(node);
    const targets = targetsAt(run.schema, run.rootType, data, block.queryPath);
    const entries: IncrementalEntry[] = [];
    const unplaced = execution.errors.filter((error) => !targets.some((target) => within(target.path, error.path)));
    targets.forEach((target, index) => {
      const label = block.label ? { label: block.label } : {};
      if (!subselection) return;
      if (!target.type) {
        // A typename the schema does not know: the fragment is not sent, and the client is told why.
        const invalid: ResponseError = { message: 'Invalid __typename found for a deferred fragment.', path: target.path, extensions: { code: 'INVALID_GRAPHQL' } };
        run.recordErrors([invalid]);
        entries.push({ data: null, path: target.path, ...label, errors: [invalid] });
        return;
      }
      const result = shapers.shaperFor(subselection, target.type).shape(target.object, run.variables);
      const fetchErrors = [...(index === 0 ? unplaced : []), ...execution.errors.filter((error) => within(target.path, error.path))];
      const shapingErrors = result.errors.map((error) => ({ ...error, path: [...target.path, ...(error.path ?? [])] }));
      const entryErrors = [...fetchErrors, ...valueCompletionErrorsBeside(fetchErrors, shapingErrors)];
      run.recordErrors(entryErrors);
      entries.push({ data: result.data, path: target.path, ...label, ...(entryErrors.length > 0 ? { errors: entryErrors } : {}) });
    });
    if (entries.length === 0 && unplaced.length > 0) {
      // Nothing to attach them to (the path ended in null): they still go out, at the block's path.
      run.recordErrors(unplaced);
      entries.push({ data: null, path: [...block.queryPath], ...(block.label ? { label: block.label } : {}), errors: unplaced });
    }
    return entries;
  };

  const hasNext = run.root.deferred.length > 0;
  const extensions = Object.keys(run.extensions).length > 0 ? { extensions: run.extensions } : {};
  write(initialErrors.length > 0 ? { errors: initialErrors, data: shaped.data, ...extensions } : { data: shaped.data, ...extensions }, hasNext);
  if (hasNext) {
    startBlocks(run.root.deferred);
    await allSent;
  }
  response.end();
}

/**
 * A request whose plan defers: its parts when the client takes them; else Apollo Router's
 * answer, HTTP 406 with DEFER_BAD_HEADER (a client that cannot read parts is told why rather
 * than handed a body it would fail to parse).
 */
export async function answerDeferred(request: IncomingMessage, response: ServerResponse, run: DeferredRun): Promise<void> {
  if (!acceptsDeferredParts(request.headers.accept)) {
    run.recordErrors([DEFER_BAD_HEADER]);
    const body = JSON.stringify({ errors: [DEFER_BAD_HEADER] });
    response.writeHead(406, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': NO_STORE });
    response.end(body);
    return;
  }
  await deliverDeferred(run, response);
}

const INTERNAL_ERROR: ResponseError = { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };

/** The ids of the fetches in a block, but not in its nested deferred blocks (those wait for it anyway). */
function fetchIdsIn(node: PlanNode | undefined): string[] {
  if (!node) return [];
  switch (node.kind) {
    case 'Fetch':
      return node.id ? [node.id] : [];
    case 'Sequence':
    case 'Parallel':
      return node.nodes.flatMap(fetchIdsIn);
    case 'Flatten':
      return fetchIdsIn(node.node);
    case 'Condition':
      return [...fetchIdsIn(node.ifClause), ...fetchIdsIn(node.elseClause)];
    case 'Defer':
      return fetchIdsIn(node.primary.node);
    default:
      return [];
  }
}
