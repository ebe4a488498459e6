import type * as Hive from '@graphql-hive/router-query-planner';
import type { FetchDataRewrite, FetchNode, PlanNode, QueryPlan, QueryPlanSelectionNode } from '@apollo/query-planner';
import { OperationTypeNode } from 'graphql';
import { batchAliasOperation } from './batchFetchSplit';
import type { RenamedRequiredField } from './renamedRequires';
import { UntranslatableHivePlan } from './untranslatableHivePlan';

const OPERATION_KINDS: Readonly<Record<NonNullable<Hive.FetchNode['operationKind']>, OperationTypeNode>> = {
  query: OperationTypeNode.QUERY,
  mutation: OperationTypeNode.MUTATION,
  subscription: OperationTypeNode.SUBSCRIPTION,
};

/**
 * Hive's `requires` reads a field from the data under `name` and sends it to the subgraph under
 * `alias` (the reverse of Apollo's, where `alias` is the response key on both sides): a field
 * required twice with different arguments is fetched under an alias of the planner's own and
 * sent as the field the subgraph declared. Such a rename is kept as `sentAs`.
 */
function requiresOf(selections: readonly Hive.RequiresSelection[]): QueryPlanSelectionNode[] {
  return selections.map((selection): QueryPlanSelectionNode => {
    switch (selection.kind) {
      case 'Field': {
        const field = { kind: 'Field' as const, name: selection.name, ...(selection.selections ? { selections: requiresOf(selection.selections) } : {}) };
        if (selection.alias === undefined || selection.alias === selection.name) return field;
        const renamed: RenamedRequiredField = { ...field, sentAs: selection.alias };
        return renamed;
      }
      case 'InlineFragment':
        if (selection.skipIf !== undefined || selection.includeIf !== undefined) throw new UntranslatableHivePlan('a conditional inline fragment in requires');
        return { kind: 'InlineFragment', typeCondition: selection.typeCondition, selections: requiresOf(selection.selections) };
      default:
        throw new UntranslatableHivePlan('a fragment spread in requires');
    }
  });
}

/** Hive's rewrite paths name a type as `{TypenameEquals: [..]}`; Apollo's as `... on T`, one type each. */
function rewritePath(path: readonly Hive.FetchNodePathSegment[]): string[] {
  return path.map((segment) => {
    if ('Key' in segment) return segment.Key;
    if (segment.TypenameEquals.length !== 1) throw new UntranslatableHivePlan('a rewrite path with several types in one step');
    return `... on ${segment.TypenameEquals[0]}`;
  });
}

function rewritesOf(rewrites: readonly Hive.FetchRewrite[] | undefined): FetchDataRewrite[] | undefined {
  if (!rewrites?.length) return undefined;
  return rewrites.map((rewrite): FetchDataRewrite => {
    if ('KeyRenamer' in rewrite) return { kind: 'KeyRenamer', path: rewritePath(rewrite.KeyRenamer.path), renameKeyTo: rewrite.KeyRenamer.renameKeyTo };
    const setter = 'ValueSetter' in rewrite ? rewrite.ValueSetter : rewrite;
    return { kind: 'ValueSetter', path: rewritePath(setter.path), setValueTo: setter.setValueTo };
  });
}

interface FetchParts {
  readonly serviceName: string;
  readonly operation: string;
  readonly operationKind?: Hive.FetchNode['operationKind'];
  readonly operationName?: string;
  readonly variableUsages?: readonly string[];
  readonly requires?: readonly Hive.RequiresSelection[];
  readonly inputRewrites?: readonly Hive.FetchRewrite[];
  readonly outputRewrites?: readonly Hive.FetchRewrite[];
}

function fetchOf(fetch: FetchParts): FetchNode {
  const inputRewrites = rewritesOf(fetch.inputRewrites);
  const outputRewrites = rewritesOf(fetch.outputRewrites);
  return {
    kind: 'Fetch',
    serviceName: fetch.serviceName,
    operation: fetch.operation,
    operationName: fetch.operationName,
    operationKind: OPERATION_KINDS[fetch.operationKind ?? 'query'],
    ...(fetch.variableUsages?.length ? { variableUsages: [...fetch.variableUsages] } : {}),
    ...(fetch.requires?.length ? { requires: requiresOf(fetch.requires) } : {}),
    ...(inputRewrites ? { inputRewrites } : {}),
    ...(outputRewrites ? { outputRewrites } : {}),
  };
}

/**
 * Hive ends a flatten path with a type condition (`rated.@ … on Book`) where the entity fetch
 * under it only asks for those types anyway: a `requires` made of inline fragments on types of
 * the condition gives any other object no representation, so it is neither sent nor merged
 * into. Such a last condition is dropped (the executor runs plain paths); any other stays.
 */
function withoutRedundantCondition(path: readonly Hive.FlattenNodePathSegment[], requires: readonly Hive.RequiresSelection[] | undefined): readonly Hive.FlattenNodePathSegment[] {
  const last = path[path.length - 1];
  if (last === undefined || last === '@' || !('TypeCondition' in last) || !requires?.length) return path;
  const covered = requires.every((selection) => selection.kind === 'InlineFragment' && last.TypeCondition.includes(selection.typeCondition));
  return covered ? path.slice(0, -1) : path;
}

/** `{Field: x}` → `x`, `@` → `@`; a type condition joins the step before it as Apollo writes it (`x|[A,B]`). */
function flattenPath(hivePath: readonly Hive.FlattenNodePathSegment[], requires?: readonly Hive.RequiresSelection[]): string[] {
  const path = withoutRedundantCondition(hivePath, requires);
  const result: string[] = [];
  for (const segment of path) {
    if (segment === '@') result.push('@');
    else if ('Field' in segment) result.push(segment.Field);
    else {
      const previous = result.pop();
      if (previous === undefined) throw new UntranslatableHivePlan('a flatten path that starts with a type condition');
      result.push(`${previous}|[${segment.TypeCondition.join(',')}]`);
    }
  }
  return result;
}

/**
 * A BatchFetch asks one subgraph for several entity sets in one request (`_e0: _entities(..)
 * _e1: _entities(..)`), each set gathered from its own paths. The executor sends one entity
 * fetch per set and path: the same entities, the same answers, more requests.
 */
function batchFetchOf(batch: Hive.BatchFetchNode): PlanNode {
  const nodes: PlanNode[] = [];
  for (const alias of batch.entityBatch.aliases) {
    const { operation, variableUsages } = batchAliasOperation(batch.operation, alias.alias);
    const fetch = fetchOf({ ...batch, operation, variableUsages, requires: alias.requires, inputRewrites: alias.inputRewrites, outputRewrites: alias.outputRewrites });
    for (const path of alias.paths) nodes.push({ kind: 'Flatten', path: flattenPath(path, alias.requires), node: fetch });
  }
  return nodes.length === 1 ? (nodes[0] as PlanNode) : { kind: 'Parallel', nodes };
}

function nodeOf(node: Hive.PlanNode): PlanNode {
  switch (node.kind) {
    case 'Sequence':
      return { kind: 'Sequence', nodes: node.nodes.map(nodeOf) };
    case 'Parallel':
      return { kind: 'Parallel', nodes: node.nodes.map(nodeOf) };
    case 'Flatten':
      return { kind: 'Flatten', path: flattenPath(node.path, node.node.kind === 'Fetch' ? node.node.requires : undefined), node: nodeOf(node.node) };
    case 'Condition':
      return {
        kind: 'Condition',
        condition: node.condition,
        ...(node.ifClause ? { ifClause: nodeOf(node.ifClause) } : {}),
        ...(node.elseClause ? { elseClause: nodeOf(node.elseClause) } : {}),
      };
    case 'Fetch':
      return fetchOf(node);
    case 'BatchFetch':
      return batchFetchOf(node);
    case 'Defer':
      // Not produced by 0.0.38, which plans @defer inline (see HiveQueryPlanning); its deferred
      // blocks would depend on ids its fetches do not carry.
      throw new UntranslatableHivePlan('@defer');
    default:
      throw new UntranslatableHivePlan(`a ${node.kind} node`);
  }
}

/** Hive's plan in the node shapes the router's executor runs (Apollo's), or UntranslatableHivePlan. */
export function translateHivePlan(plan: Hive.QueryPlan): QueryPlan {
  return { kind: 'QueryPlan', node: plan.node ? nodeOf(plan.node) : undefined };
}
