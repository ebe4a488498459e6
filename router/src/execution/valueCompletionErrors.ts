import type { ResponseError, ResponsePath } from './responseError';

/** Is `prefix` the path itself or one of its ancestors? */
function covers(prefix: ResponsePath, path: ResponsePath): boolean {
  return prefix.length <= path.length && prefix.every((key, index) => key === path[index]);
}

/**
 * The value-completion (shaping) errors a response must still carry beside its fetch and
 * access errors: those at a path no other error already explains. An error covers its own
 * path and everything below it (a failed fetch leaves nulls there, and shaping then reports
 * them again); one without a path covers the whole response.
 *
 * @apollo/gateway drops every value-completion error as soon as any fetch error exists, so a
 * value nulled by shaping elsewhere in the response has no error saying why. Here it keeps it.
 */
export function valueCompletionErrorsBeside(errors: readonly ResponseError[], valueCompletion: readonly ResponseError[]): ResponseError[] {
  if (errors.length === 0) return [...valueCompletion];
  const paths: ResponsePath[] = [];
  for (const error of errors) {
    if (!error.path) return [];
    paths.push(error.path);
  }
  return valueCompletion.filter((error) => !error.path || !paths.some((path) => covers(path, error.path as ResponsePath)));
}
