import type { ServerResponse } from 'node:http';
import {
  getOperationAST,
  getVariableValues,
  GraphQLError,
  Kind,
  parse,
  specifiedRules,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { withDomainCode } from '../scalarInputChecks';
import { withResponseExtensions } from '../pipeline/costExposure';
import type { ResponseAdditions } from '../pipeline/responseExtensions';
import { NO_STORE } from '../pipeline/responseCacheControl';
import { validateDocument } from '../pipeline/documentValidation';
import { APPLICATION_JSON } from '../pipeline/singleResultMediaType';

/**
 * The errors a request gets before anything runs (a bad token, a syntax or validation error,
 * wrong variables, an unknown operation name), worded, coded and given the HTTP status exactly
 * as Apollo Server 5 answers them in this router (its request pipeline, our formatError), so a
 * client cannot tell which executor refused it. Read from @apollo/server's requestPipeline.ts,
 * internalErrorClasses.ts, errorNormalize.ts and ApolloServer.ts (errorResponse).
 */
export interface RequestErrorAnswer {
  readonly status: number;
  readonly errors: readonly GraphQLFormattedError[];
}

export interface RequestErrorFormatting {
  /** GRAPHQL_DEBUG_STACKTRACES: each error's stack goes in `extensions.stacktrace`. */
  readonly debugStacktraces: boolean;
}

/** Apollo Server's NoIntrospection rule's words: what INTROSPECTION=false answers. */
const INTROSPECTION_DISABLED_MESSAGE =
  'GraphQL introspection is not allowed by Apollo Server, but the query contained __schema or __type. To enable introspection, pass introspection: true to ApolloServer in production';

/** Refuses `__schema` and `__type` anywhere in the document, as Apollo Server does with introspection off. */
export const noIntrospection: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value !== '__schema' && node.name.value !== '__type') return;
    context.reportError(new GraphQLError(INTROSPECTION_DISABLED_MESSAGE, { nodes: [node], extensions: { validationErrorCode: 'INTROSPECTION_DISABLED' } }));
  },
});

const RULES_WITHOUT_INTROSPECTION = [...specifiedRules, noIntrospection];

/**
 * One error as Apollo Server formats it: the error re-raised with `code` (its own extensions
 * first, the code last), then `toJSON()` (message, locations, path, extensions), the default
 * code, our formatError (a custom scalar's domain code wins; no stack trace unless asked).
 */
function formatted(error: GraphQLError, code: string | undefined, formatting: RequestErrorFormatting): GraphQLFormattedError {
  const { http: _status, ...own } = error.extensions;
  const recoded = new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError ?? error,
    extensions: code === undefined ? own : { ...own, code },
  });
  const extensions: Record<string, unknown> = { ...recoded.extensions, code: recoded.extensions.code ?? 'INTERNAL_SERVER_ERROR' };
  if (formatting.debugStacktraces) extensions.stacktrace = recoded.stack?.split('\n');
  return withDomainCode({ ...recoded.toJSON(), extensions }, recoded);
}

/**
 * A request its context refuses (a malformed x-request-timeout-ms, 400; a refused token,
 * UNAUTHENTICATED, 401): Apollo Server answers the context function's error as thrown.
 */
export function contextRefusalAnswer(error: unknown, formatting: RequestErrorFormatting): RequestErrorAnswer {
  const refusal = error instanceof GraphQLError ? error : new GraphQLError(`Context creation failed: ${error instanceof Error ? error.message : String(error)}`);
  const http = refusal.extensions.http as { status?: unknown } | undefined;
  return { status: typeof http?.status === 'number' ? http.status : 500, errors: [formatted(refusal, undefined, formatting)] };
}

/** The text parsed with locations (errors point into it); a syntax error's answer when it does not parse. */
function parsedWithLocations(query: string, formatting: RequestErrorFormatting): DocumentNode | RequestErrorAnswer {
  try {
    return parse(query);
  } catch (error) {
    const syntax = error instanceof GraphQLError ? error : new GraphQLError(String(error));
    return { status: 400, errors: [formatted(syntax, 'GRAPHQL_PARSE_FAILED', formatting)] };
  }
}

const isAnswer = (parsed: DocumentNode | RequestErrorAnswer): parsed is RequestErrorAnswer => 'status' in parsed;

/**
 * The answer to a text that does not parse or validate (GRAPHQL_PARSE_FAILED,
 * GRAPHQL_VALIDATION_FAILED, 400), validated with the rules Apollo Server runs: graphql-js'
 * and, with introspection off, its NoIntrospection. Undefined when the text is valid.
 */
export function documentErrorAnswer(schema: GraphQLSchema, query: string, introspection: boolean, formatting: RequestErrorFormatting): RequestErrorAnswer | undefined {
  const document = parsedWithLocations(query, formatting);
  if (isAnswer(document)) return document;
  const errors = validateDocument(schema, document, introspection ? specifiedRules : RULES_WITHOUT_INTROSPECTION);
  if (errors.length === 0) return undefined;
  return { status: 400, errors: errors.map((error) => formatted(error, 'GRAPHQL_VALIDATION_FAILED', formatting)) };
}

/** A variable error graphql-js raises while coercing (Apollo Server's isBadUserInputGraphQLError). */
function isBadUserInput(error: GraphQLError): boolean {
  const node = error.nodes?.length === 1 ? error.nodes[0] : undefined;
  if (node?.kind !== Kind.VARIABLE_DEFINITION) return false;
  const variable = `Variable "$${node.variable.name.value}" `;
  return ['got invalid value ', 'of required type ', 'of non-null type '].some((rest) => error.message.startsWith(variable + rest));
}

/**
 * The answer to variables the operation's definitions refuse (BAD_USER_INPUT, 400): coerced
 * again on the text parsed with locations, as @apollo/gateway coerces them before planning.
 * Undefined when they coerce.
 */
export function variablesErrorAnswer(
  schema: GraphQLSchema,
  query: string,
  operationName: string | undefined,
  variables: Record<string, unknown>,
  formatting: RequestErrorFormatting,
  /** Errors the response carries before the variables' (fields the viewer may not see). */
  preceding: readonly GraphQLError[] = [],
): RequestErrorAnswer | undefined {
  const document = parsedWithLocations(query, formatting);
  if (isAnswer(document)) return document;
  const definitions = getOperationAST(document, operationName)?.variableDefinitions;
  if (!definitions?.length) return undefined;
  const { errors } = getVariableValues(schema, definitions, variables);
  if (!errors) return undefined;
  return {
    status: 400,
    errors: [
      ...preceding.map((error) => formatted(error, undefined, formatting)),
      ...errors.map((error) => formatted(error, isBadUserInput(error) && error.extensions.code == null ? 'BAD_USER_INPUT' : undefined, formatting)),
    ],
  };
}

/**
 * No operation of that name, or several and none named, worded as graphql-js words it when
 * Apollo Server executes a schema itself (the gateway would throw, a 500).
 */
export function operationResolutionError(operationName: string | undefined): GraphQLError {
  if (operationName) return new GraphQLError(`Unknown operation named "${operationName}".`);
  return new GraphQLError('Must provide operation name if query contains multiple operations.');
}

/** OPERATION_RESOLUTION_FAILURE, 400, as Apollo Server answers the error above. */
export function operationResolutionAnswer(operationName: string | undefined, formatting: RequestErrorFormatting): RequestErrorAnswer {
  return { status: 400, errors: [formatted(operationResolutionError(operationName), 'OPERATION_RESOLUTION_FAILURE', formatting)] };
}

/** A request Apollo Server refuses with its BadRequestError (BAD_REQUEST) and this status, before any operation is read. */
export function badRequestAnswer(message: string, status: number, formatting: RequestErrorFormatting): RequestErrorAnswer {
  return { status, errors: [formatted(new GraphQLError(message), 'BAD_REQUEST', formatting)] };
}

/** runHttpQuery's words when the Accept header takes none of the types of a single result. */
export const NOT_ACCEPTABLE_MESSAGE = `An 'accept' header was provided for this request which does not accept application/json; charset=utf-8 or application/graphql-response+json; charset=utf-8`;

/**
 * 406: the Accept header takes none of a single result's types (see singleResultMediaType).
 * Apollo Server finds this out once the operation has run, and throws it in place of the
 * result; the router refuses before running it (a mutation whose answer cannot be delivered is
 * not made), with the same answer.
 */
export function notAcceptableAnswer(formatting: RequestErrorFormatting): RequestErrorAnswer {
  return badRequestAnswer(NOT_ACCEPTABLE_MESSAGE, 406, formatting);
}

/** Sends the 406 (see notAcceptableAnswer); its errors are returned for the request's log. */
export function sendNotAcceptable(response: ServerResponse, formatting: RequestErrorFormatting): readonly GraphQLFormattedError[] {
  const answer = notAcceptableAnswer(formatting);
  sendThrownRequestError(response, answer, APPLICATION_JSON);
  return answer.errors;
}

/**
 * Sends an error Apollo Server's runHttpQuery throws (its errorResponse): the errors alone, no
 * cache-control, JSON; header by header, so Node adds its own headers as for Apollo Server's.
 */
export function sendThrownRequestError(response: ServerResponse, answer: RequestErrorAnswer, contentType: string): void {
  response.setHeader('content-type', contentType);
  response.statusCode = answer.status;
  response.end(`${JSON.stringify({ errors: answer.errors })}\n`);
}

/** A subscription over plain HTTP without a streaming Accept (@apollo/gateway cannot execute one). */
export function subscriptionOverPlainHttpError(): GraphQLError {
  return new GraphQLError('Subscriptions are not served over plain HTTP by this router yet', { extensions: { code: 'SUBSCRIPTIONS_NOT_SUPPORTED' } });
}

/** 400 (errors and no data), as Apollo Server answers the error above from its gateway. */
export function subscriptionOverPlainHttpAnswer(formatting: RequestErrorFormatting): RequestErrorAnswer {
  return { status: 400, errors: [formatted(subscriptionOverPlainHttpError(), undefined, formatting)] };
}

/**
 * Sends the answer as Apollo Server serialises it (`errors`, then the stages' `extensions`;
 * JSON and a newline), never to be cached. `contentType` is the negotiated response type.
 */
export function sendRequestError(response: ServerResponse, answer: RequestErrorAnswer, contentType: string, additions?: ResponseAdditions): void {
  const extensions = withResponseExtensions(undefined, additions?.extensions);
  const payload = `${JSON.stringify(extensions ? { errors: answer.errors, extensions } : { errors: answer.errors })}\n`;
  response.writeHead(answer.status, { 'content-type': contentType, 'content-length': Buffer.byteLength(payload), 'cache-control': NO_STORE });
  response.end(payload);
}
