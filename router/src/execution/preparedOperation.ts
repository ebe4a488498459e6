import type { Viewer } from '@booking/runtime';
import type { QueryPlan } from '@apollo/query-planner';
import {
  getVariableValues,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type OperationDefinitionNode,
} from 'graphql';
import { authorizeOperation } from '../auth/operationAuthorizer';
import type { SupergraphState } from '../liveSupergraph';
import { isExecutablePlan } from './planExecutor';
import { responseErrorOf, type ResponseError } from './responseError';
import { ResultShaper } from './resultShaper';

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
      /** Fields removed for this viewer, reported beside the data. */
      readonly accessErrors: readonly ResponseError[];
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

  private constructor(
    readonly document: DocumentNode,
    readonly operation: OperationDefinitionNode,
    readonly fragments: Readonly<Record<string, FragmentDefinitionNode>>,
    private readonly operationName: string | undefined,
  ) {}

  /** A prepared operation, or why the gateway pipeline should answer it (it words the errors). */
  static prepare(state: SupergraphState, query: string, operationName: string | undefined): PreparedOperation | string {
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch {
      return 'syntax error';
    }
    if (validate(state.planner.apiGraphQLSchema, document).length > 0) return 'invalid';
    const operations = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
    const operation = operationName ? operations.find((candidate) => candidate.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
    if (!operation) return 'operation not found';
    if (operation.operation === 'subscription') return 'subscription';
    return new PreparedOperation(document, operation, fragmentsOf(document), operationName);
  }

  /** Coerced variables (defaults applied), or undefined when they are wrong (the gateway words that). */
  coerceVariables(state: SupergraphState, raw: Record<string, unknown>): Record<string, unknown> | undefined {
    if (!this.operation.variableDefinitions?.length) return {};
    const coerced = getVariableValues(state.planner.apiGraphQLSchema, this.operation.variableDefinitions, raw);
    return coerced.errors ? undefined : coerced.coerced;
  }

  executableFor(state: SupergraphState, viewer: Viewer | null): Executable {
    const key = accessKeyOf(viewer);
    let executable = this.executables.get(key);
    if (!executable) {
      executable = this.build(state, viewer);
      this.executables.set(key, executable);
    }
    return executable;
  }

  private build(state: SupergraphState, viewer: Viewer | null): Executable {
    const schema = state.planner.apiGraphQLSchema;
    const authorized = authorizeOperation(schema, state.requirements, this.document, this.operationName, viewer);
    const accessErrors = authorized.errors.map(responseErrorOf);
    if (authorized.empty) return { kind: 'denied', errors: accessErrors };
    const operation = authorized.operation ?? this.operation;
    // A rewritten operation comes with its own (rewritten) fragments.
    const fragments = authorized.operation ? fragmentsOf(authorized.document) : this.fragments;
    const rootType = schema.getRootType(operation.operation) as GraphQLObjectType | undefined;
    if (!rootType) return { kind: 'gateway', reason: 'no root type' };
    let plan: QueryPlan;
    let shaper: ResultShaper;
    try {
      plan = state.planner.planQuery(authorized.document, operation.name?.value ?? this.operationName);
      if (plan.node?.kind === 'Subscription' || !isExecutablePlan(plan.node)) return { kind: 'gateway', reason: 'plan needs the gateway executor' };
      shaper = new ResultShaper(schema, rootType, operation.selectionSet, fragments);
    } catch (error) {
      // UnsupportedOperation from the shaper, or a planner refusal: the gateway words the outcome.
      return { kind: 'gateway', reason: error instanceof Error ? error.message : String(error) };
    }
    return { kind: 'run', plan, shaper, accessErrors };
  }
}

/** Prepared operations of one supergraph, bounded (a flood of distinct operations evicts the oldest). */
export class PreparedOperations {
  private readonly entries = new Map<string, PreparedOperation | string>();

  constructor(
    readonly state: SupergraphState,
    private readonly capacity = 2_000,
  ) {}

  get(query: string, operationName: string | undefined): PreparedOperation | string {
    const key = operationName ? `${operationName}\n${query}` : query;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = PreparedOperation.prepare(this.state, query, operationName);
      if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(key, entry);
    }
    return entry;
  }
}
