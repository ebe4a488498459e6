import { buildSchema } from 'graphql';
import { unexplainedNulls } from './nullHunt';

const schema = buildSchema(`
  type Query { feed: [Review!]! flaky: String product: Product }
  type Review { id: ID! product: Product note: String }
  type Product { id: ID! name: String! note: String }
`);
const query = '{ flaky product { id note } feed { id note product { id name note } } }';

describe('the null-without-error hunt', () => {
  it('finds a null no error explains', () => {
    expect(unexplainedNulls(schema, query, { data: { flaky: null, product: null, feed: [] } })).toEqual([['flaky'], ['product']]);
  });

  it('takes an error at the path or above it as the explanation', () => {
    const response = { data: { flaky: null, product: { id: 'p', note: null }, feed: [] }, errors: [{ message: 'down', path: ['flaky'] }, { message: 'entity fetch failed', path: ['product'] }] };
    expect(unexplainedNulls(schema, query, response)).toEqual([]);
  });

  it('takes an error below the null as the explanation (null propagation from a non-null field)', () => {
    const response = {
      data: { flaky: 'up', product: { id: 'p', note: 'n' }, feed: [{ id: 'r', note: 'n', product: null }] },
      extensions: { valueCompletion: [{ message: 'Cannot return null for non-nullable field Product.name.', path: ['feed', 0, 'product', 'name'] }] },
    };
    expect(unexplainedNulls(schema, query, response)).toEqual([]);
  });

  it('does not take an error at a sibling or a longer key as an explanation', () => {
    const response = { data: { flaky: 'up', product: null, feed: [{ id: 'r', note: 'n', product: null }, { id: 's', note: 'n', product: null }] }, errors: [{ message: 'x', path: ['productX'] }, { message: 'y', path: ['feed', 0, 'product'] }] };
    expect(unexplainedNulls(schema, query, response)).toEqual([['product'], ['feed', 1, 'product']]);
  });

  it('allows a null only at the fields the fixture marks as legitimately null', () => {
    const response = { data: { flaky: 'up', product: { id: 'p', note: null }, feed: [{ id: 'r', note: null, product: { id: 'p', name: 'n', note: null } }] } };
    expect(unexplainedNulls(schema, query, response, ['Product.note'])).toEqual([['feed', 0, 'note']]);
  });

  it('never allows a null list item or null data without an error', () => {
    expect(unexplainedNulls(schema, '{ feed { id } }', { data: { feed: [null] } }, ['Query.feed', 'Review.id'])).toEqual([['feed', 0]]);
    expect(unexplainedNulls(schema, '{ feed { id } }', { data: null })).toEqual([[]]);
  });

  it('takes an error without a path as explaining every null', () => {
    expect(unexplainedNulls(schema, query, { data: { flaky: null, product: null, feed: [] }, errors: [{ message: 'timeout' }] })).toEqual([]);
  });
});
