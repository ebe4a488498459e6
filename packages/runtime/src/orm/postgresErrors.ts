/** PostgreSQL SQLSTATE codes that the domains translate into their own errors. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_EXCLUSION_VIOLATION = '23P01';
/** statement_timeout (or a cancel request) stopped the statement. */
export const PG_QUERY_CANCELED = '57014';
/** "invalid byte sequence for encoding UTF8: 0x00": text holding U+0000, which `text` cannot store. */
export const PG_CHARACTER_NOT_IN_REPERTOIRE = '22021';
/** "invalid input syntax for type uuid" and the like: a value the column type cannot hold. */
export const PG_INVALID_TEXT_REPRESENTATION = '22P02';

/**
 * MikroORM wraps driver errors (and does not map 23P01 at all), so look for the SQLSTATE on
 * the error and its causes.
 */
export function postgresErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown; previous?: unknown }).previous ?? (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function postgresConstraint(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth += 1) {
    const constraint = (current as { constraint?: unknown }).constraint;
    if (typeof constraint === 'string') return constraint;
    current = (current as { previous?: unknown }).previous ?? (current as { cause?: unknown }).cause;
  }
  return undefined;
}
