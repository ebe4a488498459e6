import type { DeferNode, QueryPlan } from '@apollo/query-planner';
import { acceptsDeferredParts, deferredRootOf } from '../src/execution/deferredDelivery';

describe('which requests get @defer parts', () => {
  it.each([
    ['multipart/mixed;deferSpec=20220824,application/json', true], // Apollo Client 3
    ['multipart/mixed; deferSpec=20220824', true],
    ['application/json, multipart/mixed; deferSpec="20220824"', true],
    ['multipart/mixed;deferSpec=20220824;q=0', false],
    ['multipart/mixed', false], // no format named: Apollo Router and Apollo Server refuse it too
    ['multipart/mixed;subscriptionSpec=1.0', false],
    ['application/json', false],
    [undefined, false],
  ])('Accept: %s → %s', (accept, expected) => {
    expect(acceptsDeferredParts(accept)).toBe(expected);
  });
});

describe('the Defer node a request runs', () => {
  const defer: DeferNode = { kind: 'Defer', primary: {}, deferred: [] };
  const plan: QueryPlan['node'] = { kind: 'Condition', condition: 'on', ifClause: defer, elseClause: { kind: 'Fetch', serviceName: 'a', operation: '{a}', operationKind: 'query' } as never };

  it('follows @defer(if: $variable) to the branch the variables pick', () => {
    expect(deferredRootOf(plan, { on: true })).toBe(defer);
    expect(deferredRootOf(plan, { on: false })).toBeUndefined();
  });

  it('is none for a plan without @defer', () => {
    expect(deferredRootOf({ kind: 'Fetch', serviceName: 'a', operation: '{a}', operationKind: 'query' } as never, {})).toBeUndefined();
    expect(deferredRootOf(undefined, {})).toBeUndefined();
  });
});
