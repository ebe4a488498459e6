import type { QueryPlanner as HivePlanner } from '@graphql-hive/router-query-planner';
import type { PlanNode, QueryPlan } from '@apollo/query-planner';
import { BREAK, parse, print, visit, type DocumentNode } from 'graphql';
import { isExecutablePlan } from '../execution/planExecutor';
import { translateHivePlan } from './hivePlanTranslation';
import type { PlannerFallbackListener, QueryPlanning } from './queryPlanning';
import { UntranslatableHivePlan } from './untranslatableHivePlan';

/**
 * Names of the supergraph's fields that take a contextual argument (`@fromContext`, composed as
 * `@join__field(contextArguments: ...)`). Hive's planner (0.0.38) has no counterpart of Apollo's
 * context rewrites: its plans for such fields send no context value and the subgraph refuses.
 */
function contextualFieldNames(supergraphSdl: string): ReadonlySet<string> {
  const names = new Set<string>();
  if (!supergraphSdl.includes('contextArguments')) return names;
  visit(parse(supergraphSdl), {
    FieldDefinition(field) {
      const contextual = field.directives?.some((directive) => directive.name.value === 'join__field' && directive.arguments?.some((argument) => argument.name.value === 'contextArguments'));
      if (contextual) names.add(field.name.value);
    },
  });
  return names;
}

/** Whether the operation selects a field of that name anywhere (by name alone: it may match more often than needed, never less). */
export function selectsAny(document: DocumentNode, names: ReadonlySet<string>): boolean {
  if (names.size === 0) return false;
  let found = false;
  visit(document, {
    Field(field) {
      if (!names.has(field.name.value)) return undefined;
      found = true;
      return BREAK;
    },
  });
  return found;
}

function hasDefer(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Directive(directive) {
      if (directive.name.value !== 'defer') return undefined;
      found = true;
      return BREAK;
    },
  });
  return found;
}

/** What in a translated plan the executor does not run (isExecutablePlan said no), for the log. */
function unrunnableConstruct(node: PlanNode | undefined): string {
  const nodes: PlanNode[] = node ? [node] : [];
  let typeCondition = false;
  for (let next = nodes.pop(); next; next = nodes.pop()) {
    if (next.kind === 'Flatten') typeCondition ||= next.path.some((step) => String(step).includes('|'));
    if (next.kind === 'Sequence' || next.kind === 'Parallel') nodes.push(...next.nodes);
    else if (next.kind === 'Flatten') nodes.push(next.node);
    else if (next.kind === 'Condition') nodes.push(...[next.ifClause, next.elseClause].filter((clause): clause is PlanNode => clause !== undefined));
  }
  return typeCondition ? 'a type condition inside a flatten path' : 'a node the executor does not run';
}

export type HivePlanAttempt = { readonly plan: QueryPlan } | { readonly construct: string; readonly detail?: string };

/** No progressive @override label is active (Apollo's planner, as configured here, sets none either). */
const NO_OVERRIDE_LABELS = new Set<string>();

/**
 * Hive Router's query planner (@graphql-hive/router-query-planner, a Rust Node addon), its plans
 * translated into the shapes the router's executor runs. Where Hive's plan has no counterpart
 * there (@defer, @fromContext, a fragment spread in requires) or the executor does not run it
 * (type-conditioned paths), that operation is planned by Apollo's planner, as
 * the default would, and the listener is told once per kind of construct: never a plan the
 * executor would run wrongly.
 */
export class HiveQueryPlanning implements QueryPlanning {
  readonly name = 'hive';
  private readonly planner: HivePlanner;
  private readonly reported = new Set<string>();
  private readonly contextualFields: ReadonlySet<string>;

  constructor(
    supergraphSdl: string,
    private readonly apollo: QueryPlanning,
    private readonly onFallback: PlannerFallbackListener = () => {},
  ) {
    // Required here: the addon (a native library) is loaded only by a router that plans with it (QUERY_PLANNER=hive).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { QueryPlanner } = require('@graphql-hive/router-query-planner') as typeof import('@graphql-hive/router-query-planner');
    this.planner = new QueryPlanner(supergraphSdl);
    this.contextualFields = contextualFieldNames(supergraphSdl);
  }

  planQuery(document: DocumentNode, operationName: string | undefined): QueryPlan {
    const attempt = this.hivePlan(document, operationName);
    return 'plan' in attempt ? attempt.plan : this.fallBack(attempt.construct, document, operationName, attempt.detail);
  }

  /** Hive's plan translated, or what keeps the router's executor from running it. */
  hivePlan(document: DocumentNode, operationName: string | undefined): HivePlanAttempt {
    // Hive's planner (0.0.38) plans @defer inline: the answer would come whole, not in parts.
    if (hasDefer(document)) return { construct: '@defer (planned inline by Hive\'s planner)' };
    if (selectsAny(document, this.contextualFields)) return { construct: "@fromContext (no context arguments in Hive's plans)" };
    let plan: QueryPlan;
    try {
      plan = translateHivePlan(this.planner.plan(print(document), operationName ?? null, NO_OVERRIDE_LABELS, 0));
    } catch (error) {
      if (error instanceof UntranslatableHivePlan) return { construct: error.construct };
      // The addon refuses what it cannot plan with a plain Error: Apollo's planner words the refusal.
      return { construct: "no plan from Hive's planner", detail: error instanceof Error ? error.message : String(error) };
    }
    if (plan.node?.kind !== 'Subscription' && !isExecutablePlan(plan.node)) return { construct: unrunnableConstruct(plan.node) };
    return { plan };
  }

  private fallBack(construct: string, document: DocumentNode, operationName: string | undefined, detail?: string): QueryPlan {
    if (!this.reported.has(construct)) {
      this.reported.add(construct);
      this.onFallback(construct, operationName, detail);
    }
    return this.apollo.planQuery(document, operationName);
  }
}
