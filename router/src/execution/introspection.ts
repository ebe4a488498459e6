import type { QueryPlan } from '@apollo/query-planner';
import { executeSync, Kind, visit, type DocumentNode, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

import { withResponseExtensions } from '../pipeline/costExposure';
import { extensionsWithPlan, type ResponseAdditions } from '../pipeline/responseExtensions';

const INTROSPECTION_FIELDS = new Set(['__schema', '__type']);

/** What a document asks of introspection, worked out once per prepared document. */
interface IntrospectionUse {
  /** `__schema` or `__type` anywhere (unused fragments too): what INTROSPECTION=false refuses. */
  readonly mentioned: boolean;
}

const uses = new WeakMap<DocumentNode, IntrospectionUse>();

/** Whether the document names `__schema` or `__type` anywhere, as Apollo Server's NoIntrospection rule looks. */
export function mentionsIntrospection(document: DocumentNode): boolean {
  let use = uses.get(document);
  if (!use) {
    let mentioned = false;
    visit(document, {
      Field(node) {
        if (INTROSPECTION_FIELDS.has(node.name.value)) mentioned = true;
      },
    });
    use = { mentioned };
    uses.set(document, use);
  }
  return use.mentioned;
}

/**
 * Whether every root field of the operation (through fragments) is `__schema`, `__type` or
 * `__typename`, at least one of the first two: nothing for any subgraph, all from the API schema.
 */
export function isIntrospectionOnly(operation: OperationDefinitionNode, fragments: Readonly<Record<string, FragmentDefinitionNode>>): boolean {
  if (operation.operation !== 'query') return false;
  let introspects = false;
  const only = (selectionSet: SelectionSetNode, seen: Set<string>): boolean =>
    selectionSet.selections.every((selection) => {
      if (selection.kind === Kind.FIELD) {
        if (INTROSPECTION_FIELDS.has(selection.name.value)) introspects = true;
        return INTROSPECTION_FIELDS.has(selection.name.value) || selection.name.value === '__typename';
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) return only(selection.selectionSet, seen);
      const name = selection.name.value;
      const fragment = fragments[name];
      if (!fragment || seen.has(name)) return fragment !== undefined;
      return only(fragment.selectionSet, new Set(seen).add(name));
    });
  return only(operation.selectionSet, new Set()) && introspects;
}

/**
 * The response body to an introspection operation, from the API schema the router plans
 * against (what @apollo/gateway answers it from too: graphql-js execution of the introspection
 * fields), with what the stages add; JSON and a newline, as Apollo Server writes it. When the
 * request asked for its plan (`plan`: the planner's, which has no fetch) it gets it, and on a
 * dry run only that. Undefined (rather than a partial answer) if graphql-js reports errors:
 * variables were coerced before, so none are expected.
 */
export function introspectionPayload(
  schema: GraphQLSchema,
  operation: { readonly document: DocumentNode; readonly operationName: string | undefined; readonly variables: Record<string, unknown> },
  additions: ResponseAdditions,
  plan: () => QueryPlan,
): string | undefined {
  const extensions = withResponseExtensions(undefined, extensionsWithPlan(additions, additions.queryPlan ? plan() : undefined));
  if (additions.queryPlan === 'dry-run') return `${JSON.stringify({ extensions })}\n`;
  const result = executeSync({ schema, document: operation.document, operationName: operation.operationName, variableValues: operation.variables, rootValue: {} });
  if (result.errors?.length || !result.data) return undefined;
  return `${JSON.stringify(extensions ? { data: result.data, extensions } : { data: result.data })}\n`;
}

/**
 * The introspection part of an operation that also asks for data (`{ __schema {…} listings {…} }`):
 * a document with only its root `__schema` and `__type` fields (aliases, arguments and
 * directives kept, every fragment beside, no other operation), which graphql-js answers from the API schema while
 * the plan fetches the rest; the shaper copies the answers in place. Undefined when the root
 * has none; 'unsupported' when they hide in a root fragment (left to the gateway).
 */
export function rootIntrospectionDocument(document: DocumentNode, operation: OperationDefinitionNode): DocumentNode | undefined | 'unsupported' {
  if (operation.operation !== 'query') return undefined;
  const fields = operation.selectionSet.selections.filter((selection) => selection.kind === Kind.FIELD && INTROSPECTION_FIELDS.has(selection.name.value));
  const hidden = operation.selectionSet.selections.some((selection) => selection.kind !== Kind.FIELD && selectsIntrospection(selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : undefined, selection.kind === Kind.FRAGMENT_SPREAD ? selection.name.value : undefined, document));
  if (hidden) return 'unsupported';
  if (fields.length === 0) return undefined;
  const introspecting: OperationDefinitionNode = { ...operation, selectionSet: { ...operation.selectionSet, selections: fields } };
  // The operation alone (graphql-js then needs no operation name) with every fragment.
  return { ...document, definitions: [introspecting, ...document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION)] };
}

function selectsIntrospection(selectionSet: SelectionSetNode | undefined, fragmentName: string | undefined, document: DocumentNode): boolean {
  const set = selectionSet ?? document.definitions.find((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === fragmentName)?.selectionSet;
  return set?.selections.some((selection) => selection.kind === Kind.FIELD && INTROSPECTION_FIELDS.has(selection.name.value)) ?? false;
}

/**
 * The root introspection fields' answers (see rootIntrospectionDocument), by response name,
 * from graphql-js on the API schema; undefined if it reports errors (variables were coerced
 * before, so none are expected).
 */
export function rootIntrospectionData(schema: GraphQLSchema, document: DocumentNode, variables: Readonly<Record<string, unknown>>): Record<string, unknown> | undefined {
  const result = executeSync({ schema, document, variableValues: variables, rootValue: {} });
  return result.errors?.length || !result.data ? undefined : result.data;
}
