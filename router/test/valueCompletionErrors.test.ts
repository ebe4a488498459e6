import type { ResponseError } from '../src/execution/responseError';
import { valueCompletionErrorsBeside } from '../src/execution/valueCompletionErrors';

const fetchError = (path?: (string | number)[]): ResponseError => ({ message: 'subgraph failed', ...(path ? { path } : {}), extensions: { code: 'DOWNSTREAM_SERVICE_ERROR' } });
const shapingError = (path: (string | number)[]): ResponseError => ({ message: 'Cannot return null for non-nullable field.', path, extensions: { code: 'INVALID_GRAPHQL' } });

describe('value-completion errors beside fetch errors', () => {
  it('keeps every shaping error when nothing failed', () => {
    const shaping = [shapingError(['a']), shapingError(['b', 0])];
    expect(valueCompletionErrorsBeside([], shaping)).toEqual(shaping);
  });

  it('keeps a shaping error elsewhere in the response: its null needs its own explanation', () => {
    const elsewhere = shapingError(['product', 'price']);
    expect(valueCompletionErrorsBeside([fetchError(['reviews'])], [elsewhere])).toEqual([elsewhere]);
  });

  it("drops shaping errors at or below a fetch error's path (the fetch error explains those nulls)", () => {
    const atPath = shapingError(['reviews', 0, 'author']);
    const below = shapingError(['reviews', 0, 'author', 'name']);
    const sibling = shapingError(['reviews', 1, 'author']);
    expect(valueCompletionErrorsBeside([fetchError(['reviews', 0, 'author'])], [atPath, below, sibling])).toEqual([sibling]);
  });

  it('does not take a path sharing a prefix of a key name for a covered one', () => {
    const other = shapingError(['reviewsCount']);
    expect(valueCompletionErrorsBeside([fetchError(['reviews'])], [other])).toEqual([other]);
  });

  it('drops them all when a fetch error has no path (it covers the whole response)', () => {
    expect(valueCompletionErrorsBeside([fetchError(['a']), fetchError()], [shapingError(['b'])])).toEqual([]);
  });

  it('keeps a shaping error above a fetch error: the fetch error explains only what is below it', () => {
    const above = shapingError(['product']);
    expect(valueCompletionErrorsBeside([fetchError(['product', 'reviews'])], [above])).toEqual([above]);
  });
});
