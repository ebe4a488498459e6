import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import type { Logger } from '../logger';
import { DomainError } from './domainErrors';
import { PG_CHARACTER_NOT_IN_REPERTOIRE, PG_QUERY_CANCELED, postgresErrorCode } from '../orm/postgresErrors';

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
    if (postgresErrorCode(original) === PG_QUERY_CANCELED) {
      logger.warn({ path: formatted.path }, 'a database statement was canceled (statement_timeout)');
      return {
        message: 'A database statement took longer than this subgraph allows (DATABASE_STATEMENT_TIMEOUT_MS) and was canceled',
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: 'STATEMENT_TIMEOUT' },
      };
    }
    if (postgresErrorCode(original) === PG_CHARACTER_NOT_IN_REPERTOIRE) {
      // A second line behind refuseUnstorableText (input the plugin cannot see, e.g. built by a
      // resolver): the client's text, not a bug, so a warning and BAD_USER_INPUT.
      logger.warn({ path: formatted.path }, 'text the database cannot store reached a query');
      return {
        message: 'Invalid input: text contains a character the database cannot store (U+0000)',
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: 'BAD_USER_INPUT' },
      };
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
