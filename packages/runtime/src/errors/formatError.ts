import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import type { Logger } from '../logger';
import { DomainError } from './domainErrors';
import { PG_CHARACTER_NOT_IN_REPERTOIRE, PG_INVALID_TEXT_REPRESENTATION, PG_QUERY_CANCELED, postgresErrorCode } from '../orm/postgresErrors';

/** Codes whose messages are meant for clients; anything else is masked and logged. */
const CLIENT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'UNAUTHENTICATED',
  'FORBIDDEN',
]);

/**
 * PostgreSQL refusals that are not bugs: the caller's input or the request's own cost. They are
 * answered with a code and logged as warnings, never masked as INTERNAL_SERVER_ERROR.
 */
const DATABASE_REFUSALS: Readonly<Record<string, { readonly code: string; readonly message: string; readonly log: string }>> = {
  [PG_QUERY_CANCELED]: {
    code: 'STATEMENT_TIMEOUT',
    message: 'A database statement took longer than this subgraph allows (DATABASE_STATEMENT_TIMEOUT_MS) and was canceled',
    log: 'a database statement was canceled (statement_timeout)',
  },
  // A second line behind refuseUnstorableText (input the plugin cannot see, e.g. built by a resolver).
  [PG_CHARACTER_NOT_IN_REPERTOIRE]: {
    code: 'BAD_USER_INPUT',
    message: 'Invalid input: text contains a character the database cannot store (U+0000)',
    log: 'text the database cannot store reached a query',
  },
  // A second line behind the services' own checks (an id that is not a UUID names nothing).
  [PG_INVALID_TEXT_REPRESENTATION]: {
    code: 'BAD_USER_INPUT',
    message: 'Invalid input: a value is not of the form this field takes (e.g. an id that is not a UUID)',
    log: 'a value the column type cannot hold reached a query',
  },
};

function describeValidation(errors: readonly ValidationError[], parent = ''): { field: string; message: string }[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...describeValidation(error.children ?? [], field)];
  });
}

export function createFormatError(logger: Logger) {
  return function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
    const original = unwrapResolverError(error);
    if (original instanceof DomainError) {
      return {
        ...formatted,
        message: original.message,
        extensions: { ...original.extensions, code: original.code },
      };
    }
    if (original instanceof ArgumentValidationError) {
      const problems = describeValidation(original.extensions.validationErrors as ValidationError[]);
      return {
        message: `Invalid input: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: 'BAD_USER_INPUT', fields: problems },
      };
    }
    const clientFacing = DATABASE_REFUSALS[postgresErrorCode(original) ?? ''];
    if (clientFacing) {
      logger.warn({ path: formatted.path }, clientFacing.log);
      return { message: clientFacing.message, locations: formatted.locations, path: formatted.path, extensions: { code: clientFacing.code } };
    }
    const code = typeof formatted.extensions?.code === 'string' ? formatted.extensions.code : 'INTERNAL_SERVER_ERROR';
    if (CLIENT_CODES.has(code)) return formatted;
    logger.error({ err: original, path: formatted.path }, 'unexpected error while executing an operation');
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
