import type { Viewer } from '@booking/runtime/dist/router';
import { getOperationAST, getVariableValues, GraphQLError, parse, print, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { AccessRequirements } from '../auth/accessRequirements';
import { authorizeOperation, type DeniedFields } from '../auth/operationAuthorizer';
import { domainCodeOf } from '../scalarInputChecks';
import { validateDocument } from '../pipeline/documentValidation';

export interface SubscriptionPayload {
  readonly query: string;
  readonly operationName?: string | null;
  readonly variables?: Record<string, unknown> | null;
}

/** Why a subscription was refused before it started; transports map it to a status. */
export type RejectionKind = 'malformed' | 'unauthorized';

export type PreparedSubscription =
  | {
      readonly kind: 'subscription';
      readonly document: DocumentNode;
      /** The document's text: the client's own, or the authorized rewrite printed (plans and sharing are keyed by it). */
      readonly source: string;
      readonly operationName?: string;
      /** The operation's name in the document (an anonymous one has none): what the request log shows. */
      readonly definedName?: string;
      /** Coerced against the operation's variable definitions (defaults applied). */
      readonly variables: Record<string, unknown>;
      /** Fields removed by authorization, reported with every event at the paths of its items. */
      readonly denials: DeniedFields;
    }
  | { readonly kind: 'rejected'; readonly reason: RejectionKind; readonly errors: readonly GraphQLError[] }
  | { readonly kind: 'not-a-subscription' };

/** graphql-js leaves these errors without a code; every error we send carries one. */
function withCode(error: GraphQLError, stageCode: string): GraphQLError {
  if (typeof error.extensions.code === 'string') return error;
  // A value a custom scalar refused is the client's input (BAD_USER_INPUT), whichever stage found it.
  const code = domainCodeOf(error) ?? stageCode;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}

const malformed = (errors: readonly GraphQLError[], code: string): PreparedSubscription => ({
  kind: 'rejected',
  reason: 'malformed',
  errors: errors.map((error) => withCode(error, code)),
});

function operationOf(document: DocumentNode, operationName: string | undefined): OperationDefinitionNode | GraphQLError {
  const operation = getOperationAST(document, operationName);
  if (operation) return operation;
  const message = operationName ? `Unknown operation named "${operationName}"` : 'Must provide operation name if query contains multiple operations';
  return new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } });
}

/**
 * Parse, validate against the API schema, coerce variables and authorize: the same for every
 * transport, and every error it returns carries `extensions.code`.
 */
export function prepareSubscription(
  apiSchema: GraphQLSchema,
  requirements: AccessRequirements,
  payload: SubscriptionPayload,
  viewer: Viewer | null,
): PreparedSubscription {
  let document: DocumentNode;
  try {
    document = parse(payload.query);
  } catch (error) {
    return malformed([error as GraphQLError], 'GRAPHQL_PARSE_FAILED');
  }
  const operationName = payload.operationName ?? undefined;
  const operation = operationOf(document, operationName);
  if (operation instanceof GraphQLError) return { kind: 'rejected', reason: 'malformed', errors: [operation] };
  if (operation.operation !== 'subscription') return { kind: 'not-a-subscription' };
  const errors = validateDocument(apiSchema, document);
  if (errors.length > 0) return malformed(errors, 'GRAPHQL_VALIDATION_FAILED');
  const coerced = getVariableValues(apiSchema, operation.variableDefinitions ?? [], payload.variables ?? {});
  if (coerced.errors) return malformed(coerced.errors, 'BAD_USER_INPUT');
  const authorized = authorizeOperation(apiSchema, requirements, document, operationName, viewer);
  if (authorized.empty) return { kind: 'rejected', reason: 'unauthorized', errors: authorized.errors };
  return {
    kind: 'subscription',
    document: authorized.document,
    source: authorized.document === document ? payload.query : print(authorized.document),
    operationName,
    definedName: operation.name?.value,
    variables: coerced.coerced,
    denials: authorized.denials,
  };
}

export function isSubscriptionPayload(body: unknown): body is SubscriptionPayload {
  return typeof body === 'object' && body !== null && typeof (body as { query?: unknown }).query === 'string';
}
