import { inSpanSync, ROOT_CONTEXT, type Context, type Viewer } from '@booking/runtime/dist/router';
import type { QueryPlan } from '@apollo/query-planner';
import {
  getVariableValues,
  Kind,
  parse,
  print,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type OperationDefinitionNode,
} from 'graphql';
import { authorizeOperation, type DeniedFields } from '../auth/operationAuthorizer';
import { ByteBoundedCache } from '../byteBoundedCache';
import type { SupergraphState } from '../liveSupergraph';
import { operationTextKey, type OperationText } from '../pipeline/operationText';
import { isExecutablePlan } from './planExecutor';
import type { CacheLookups } from '../observability/routerMetrics';
import { responseErrorOf, type ResponseError } from './responseError';
import { ResultShaper } from './resultShaper';
import { rootIntrospectionDocument } from './introspection';
import { validateDocument } from '../pipeline/documentValidation';

function fragmentsOf(document: DocumentNode): Record<string, FragmentDefinitionNode> {
  return Object.fromEntries(
    document.definitions
      .filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
}

/** What the router does with one operation for one kind of viewer, decided once and cached. */
export type Executable =
  | { readonly kind: 'gateway'; readonly reason: string }
  | { readonly kind: 'denied'; readonly errors: readonly ResponseError[] }
  | {
      readonly kind: 'run';
      readonly plan: QueryPlan;
      readonly shaper: ResultShaper;
      /** Fields removed for this viewer, reported beside the data at the paths of its items. */
      readonly denials: DeniedFields;
      /** The root `__schema`/`__type` fields beside the data, answered from the API schema (introspection.ts). */
      readonly introspection?: DocumentNode;
    };

const accessKeys = new WeakMap<Viewer, string>();

/**
 * Access rules look only at whether there is a viewer and which scopes it holds. The token
 * verifier hands out one Viewer per token, so the key is worked out once per token.
 */
function accessKeyOf(viewer: Viewer | null): string {
  if (!viewer) return 'anonymous';
  let key = accessKeys.get(viewer);
  if (key === undefined) {
    key = `scopes:${[...viewer.scopes].sort().join(' ')}`;
    accessKeys.set(viewer, key);
  }
  return key;
}

/**
 * One operation text (and operation name), parsed and validated once. Per kind of viewer
 * (anonymous, or a set of scopes) it is authorized, planned and its response shape compiled
 * once: the hot path of a repeated operation touches no AST.
 */
export class PreparedOperation {
  private readonly executables = new Map<string, Executable>();
  private executableBytes = 0;
  /** Told when an executable was added, so the cache can count it. */
  onGrowth: (() => void) | undefined;

  private constructor(
    readonly document: DocumentNode,
    readonly operation: OperationDefinitionNode,
    readonly fragments: Readonly<Record<string, FragmentDefinitionNode>>,
    private readonly operationName: string | undefined,
    /** The document printed without comments or extra whitespace: its digest is the cache key. */
    readonly normalised: string,
  ) {}

  /** Estimated heap retained: the document, and per kind of viewer its plan and shape. */
  get retainedBytes(): number {
    return 1_024 + this.normalised.length * AST_BYTES_PER_CHARACTER + this.executableBytes;
  }

  /** A prepared operation, or why the gateway pipeline should answer it (it words the errors). */
  static prepare(
    state: SupergraphState,
    query: string,
    operationName: string | undefined,
    validated?: OperationText['validated'],
    /** The request's trace context: parse and validate spans are its children. */
    trace: Context = ROOT_CONTEXT,
  ): PreparedOperation | string {
    let document: DocumentNode;
    if (validated && validated.schema === state.planner.apiGraphQLSchema) {
      // The gate parsed and validated this text against this very schema on this request.
      document = validated.document;
    } else {
      try {
        // Without locations the document does not hold on to the query text (comments and all).
        document = inSpanSync('graphql.parse', () => parse(query, { noLocation: true }), trace);
      } catch {
        return 'syntax error';
      }
      if (inSpanSync('graphql.validate', () => validateDocument(state.planner.apiGraphQLSchema, document), trace).length > 0) return 'invalid';
    }
    const operations = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
    const operation = operationName ? operations.find((candidate) => candidate.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
    if (!operation) return 'operation not found';
    if (operation.operation === 'subscription') return 'subscription';
    return new PreparedOperation(document, operation, fragmentsOf(document), operationName, print(document));
  }

  /** Coerced variables (defaults applied), or undefined when they are wrong (the gateway words that). */
  coerceVariables(state: SupergraphState, raw: Record<string, unknown>): Record<string, unknown> | undefined {
    if (!this.operation.variableDefinitions?.length) return {};
    const coerced = getVariableValues(state.planner.apiGraphQLSchema, this.operation.variableDefinitions, raw);
    return coerced.errors ? undefined : coerced.coerced;
  }

  /** `lookups`: counts whether the plan for this kind of viewer was there (query_plan). */
  executableFor(state: SupergraphState, viewer: Viewer | null, lookups?: CacheLookups, trace: Context = ROOT_CONTEXT): Executable {
    const key = accessKeyOf(viewer);
    let executable = this.executables.get(key);
    if (executable) lookups?.hit();
    else {
      lookups?.miss();
      executable = this.build(state, viewer, trace);
      this.executables.set(key, executable);
      this.executableBytes += 256 + (executable.kind === 'run' ? JSON.stringify(executable.plan).length * PLAN_BYTES_PER_CHARACTER + this.normalised.length * AST_BYTES_PER_CHARACTER : 0);
      this.onGrowth?.();
    }
    return executable;
  }

  private build(state: SupergraphState, viewer: Viewer | null, trace: Context): Executable {
    const schema = state.planner.apiGraphQLSchema;
    const authorized = authorizeOperation(schema, state.requirements, this.document, this.operationName, viewer);
    const accessErrors = authorized.errors.map(responseErrorOf);
    if (authorized.empty) return { kind: 'denied', errors: accessErrors };
    const operation = authorized.operation ?? this.operation;
    // A rewritten operation comes with its own (rewritten) fragments.
    const fragments = authorized.operation ? fragmentsOf(authorized.document) : this.fragments;
    const rootType = schema.getRootType(operation.operation) as GraphQLObjectType | undefined;
    if (!rootType) return { kind: 'gateway', reason: 'no root type' };
    const introspection = rootIntrospectionDocument(authorized.document, operation);
    if (introspection === 'unsupported') return { kind: 'gateway', reason: 'introspection in a root fragment' };
    let plan: QueryPlan;
    let shaper: ResultShaper;
    try {
      // Planned once per kind of viewer (then cached): the span shows what a cache miss cost.
      plan = inSpanSync('graphql.plan', () => state.planner.planQuery(authorized.document, operation.name?.value ?? this.operationName), trace);
      if (plan.node?.kind === 'Subscription' || !isExecutablePlan(plan.node)) return { kind: 'gateway', reason: 'plan needs the gateway executor' };
      if (introspection && plan.node?.kind === 'Defer') return { kind: 'gateway', reason: 'introspection beside @defer' };
      shaper = new ResultShaper(schema, rootType, operation.selectionSet, fragments);
    } catch (error) {
      // UnsupportedOperation from the shaper, or a planner refusal: the gateway words the outcome.
      return { kind: 'gateway', reason: error instanceof Error ? error.message : String(error) };
    }
    return { kind: 'run', plan, shaper, denials: authorized.denials, ...(introspection ? { introspection } : {}) };
  }
}

/** A cached text: the key of its prepared operation, or why the gateway should answer it. */
type TextEntry = { readonly documentKey: string } | string;

/**
 * Prepared operations of one supergraph, bounded by the bytes they retain (a flood of
 * distinct operations evicts the least recently used). They are keyed by a digest of the
 * normalised document, so texts differing only in comments or whitespace share one; a
 * digest of each text seen leads to it without parsing again. No query text is kept.
 */
export class PreparedOperations {
  private readonly cache: ByteBoundedCache<PreparedOperation | TextEntry>;

  constructor(
    readonly state: SupergraphState,
    maxBytes: number,
    /** Counts lookups that found the operation prepared (prepared_operation). */
    private readonly lookups?: CacheLookups,
  ) {
    this.cache = new ByteBoundedCache(maxBytes, 'prepared_operation');
  }

  /** Estimated bytes the cached operations retain. */
  get bytes(): number {
    return this.cache.bytes;
  }

  /** `text`: the key (and maybe the document) the request pipeline already has for this text. */
  get(query: string, operationName: string | undefined, text?: OperationText, trace: Context = ROOT_CONTEXT): PreparedOperation | string {
    const textKey = `t:${text?.key ?? operationTextKey(query, operationName)}`;
    const seen = this.cache.get(textKey) as TextEntry | undefined;
    if (typeof seen === 'string') {
      this.lookups?.hit();
      return seen;
    }
    if (seen) {
      const known = this.cache.get(seen.documentKey) as PreparedOperation | undefined;
      if (known) {
        this.lookups?.hit();
        return known;
      }
    }
    this.lookups?.miss();
    const prepared = PreparedOperation.prepare(this.state, query, operationName, text?.validated, trace);
    if (typeof prepared === 'string') {
      this.cache.set(textKey, prepared, TEXT_ENTRY_BYTES);
      return prepared;
    }
    const documentKey = `d:${operationTextKey(prepared.normalised, operationName)}`;
    let operation = this.cache.get(documentKey) as PreparedOperation | undefined;
    if (!operation) {
      operation = prepared;
      const stored = operation;
      stored.onGrowth = () => this.cache.resize(documentKey, stored.retainedBytes);
      this.cache.set(documentKey, stored, stored.retainedBytes);
    }
    this.cache.set(textKey, { documentKey }, TEXT_ENTRY_BYTES);
    return operation;
  }
}

/** Heap per character of a printed document, parsed (measured: about 18), and of a plan's JSON. */
const AST_BYTES_PER_CHARACTER = 24;
const PLAN_BYTES_PER_CHARACTER = 4;
/** A text's digest, its entry and the map's own overhead. */
const TEXT_ENTRY_BYTES = 512;

