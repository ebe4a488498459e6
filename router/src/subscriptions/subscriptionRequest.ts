import type { Viewer } from '@booking/runtime';
import { getOperationAST, GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { AccessRequirements } from '../auth/accessRequirements';
import { authorizeOperation } from '../auth/operationAuthorizer';

export interface SubscriptionPayload {
  readonly query: string;
  readonly operationName?: string | null;
  readonly variables?: Record<string, unknown> | null;
}

export type PreparedSubscription =
  | {
      readonly kind: 'subscription';
      readonly document: DocumentNode;
      readonly operationName?: string;
      readonly variables: Record<string, unknown>;
      /** Fields removed by authorization, reported with every event. */
      readonly authorizationErrors: readonly GraphQLError[];
    }
  | { readonly kind: 'rejected'; readonly errors: readonly GraphQLError[] }
  | { readonly kind: 'not-a-subscription' };

/** Parse, validate against the API schema, and authorize: the same for every transport. */
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
    return { kind: 'rejected', errors: [error as GraphQLError] };
  }
  const operationName = payload.operationName ?? undefined;
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'subscription') return { kind: 'not-a-subscription' };
  const errors = validate(apiSchema, document);
  if (errors.length > 0) return { kind: 'rejected', errors };
  const authorized = authorizeOperation(apiSchema, requirements, document, operationName, viewer);
  if (authorized.empty) return { kind: 'rejected', errors: authorized.errors };
  return {
    kind: 'subscription',
    document: authorized.document,
    operationName,
    variables: payload.variables ?? {},
    authorizationErrors: authorized.errors,
  };
}

export function isSubscriptionPayload(body: unknown): body is SubscriptionPayload {
  return typeof body === 'object' && body !== null && typeof (body as { query?: unknown }).query === 'string';
}
