import type { FetchDataKeyRenamer, FetchDataRewrite } from '@apollo/query-planner';
import { buildSchema } from 'graphql';
import { contextArgumentsOf } from '../src/execution/contextArguments';
import { applyRewrites } from '../src/execution/fetchRewrites';
import { collectAt, flattenSteps, responseKeysOf } from '../src/execution/flattenPath';
import type { ResponsePath } from '../src/execution/responseError';

const schema = buildSchema(`
  type Query { accounts: [Account] shops: [Shop] }
  interface Account { id: ID! }
  type User implements Account { id: ID! email: String }
  type Admin implements Account { id: ID! level: Int }
  type Shop { id: ID! currency: String products: [Product] }
  type Market { id: ID! currency: String products: [Product] }
  type Product { id: ID! }
`);

const typenameToAccount: FetchDataRewrite = { kind: 'ValueSetter', path: ['... on Account', '__typename'], setValueTo: 'Account' };

describe('data rewrites of a fetch', () => {
  it('sets an interface object\'s __typename on representations of its implementations, and only on them', () => {
    const user = { __typename: 'User', id: 'u1' };
    const shop = { __typename: 'Shop', id: 's1' };
    applyRewrites(schema, [typenameToAccount], user);
    applyRewrites(schema, [typenameToAccount], shop);
    expect(user).toEqual({ __typename: 'Account', id: 'u1' });
    expect(shop).toEqual({ __typename: 'Shop', id: 's1' });
  });

  it('renames an aliased key back, null and 0 included, item by item in lists and only under its type condition', () => {
    const rename: FetchDataRewrite = { kind: 'KeyRenamer', path: ['items', '... on Admin', 'level__alias_0'], renameKeyTo: 'level' };
    const data = {
      items: [
        { __typename: 'Admin', id: 'a1', level__alias_0: 0 },
        { __typename: 'Admin', id: 'a2', level__alias_0: null },
        { __typename: 'User', id: 'u1', level__alias_0: 'kept: not an Admin' },
        [{ __typename: 'Admin', id: 'a3', level__alias_0: 2 }],
      ],
    };
    applyRewrites(schema, [rename], data);
    expect(data.items).toEqual([
      { __typename: 'Admin', id: 'a1', level: 0 },
      { __typename: 'Admin', id: 'a2', level: null },
      { __typename: 'User', id: 'u1', level__alias_0: 'kept: not an Admin' },
      [{ __typename: 'Admin', id: 'a3', level: 2 }],
    ]);
  });

  it('leaves the value alone where the path leads nowhere', () => {
    const value = { __typename: 'Admin', id: 'a1' };
    applyRewrites(schema, [{ kind: 'KeyRenamer', path: ['missing', 'x'], renameKeyTo: 'y' }, { kind: 'KeyRenamer', path: ['absent'], renameKeyTo: 'y' }], value);
    expect(value).toEqual({ __typename: 'Admin', id: 'a1' });
  });

  it('writes a key named __proto__ as a property, never as the prototype', () => {
    const value: Record<string, unknown> = { id: 'a1', alias: 'text' };
    applyRewrites(schema, [{ kind: 'KeyRenamer', path: ['alias'], renameKeyTo: '__proto__' }], value);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(Object.keys(value)).toEqual(['id', '__proto__']);
  });
});

describe('flatten paths', () => {
  const data = {
    accounts: [
      { __typename: 'User', id: 'u1' },
      null,
      { __typename: 'Admin', id: 'a1' },
    ],
  };

  it('steps into lists, skips nulls and gives each object its response path', () => {
    const objects: Record<string, unknown>[] = [];
    const paths: ResponsePath[] = [];
    collectAt(schema, data, flattenSteps(['accounts', '@']), 0, [], objects, paths);
    expect(objects.map((object) => object.id)).toEqual(['u1', 'a1']);
    expect(paths).toEqual([['accounts', 0], ['accounts', 2]]);
  });

  it('keeps only the types a |[A,B] condition names, and a ... on T step filters without stepping', () => {
    const conditioned: Record<string, unknown>[] = [];
    collectAt(schema, data, flattenSteps(['accounts', '@|[Admin]']), 0, [], conditioned, null);
    expect(conditioned.map((object) => object.id)).toEqual(['a1']);
    const fragment: Record<string, unknown>[] = [];
    collectAt(schema, data, flattenSteps(['accounts', '@', '... on User']), 0, [], fragment, null);
    expect(fragment.map((object) => object.id)).toEqual(['u1']);
    expect(responseKeysOf(flattenSteps(['', 'accounts|[User]', '@|[User]', '... on User']))).toEqual(['accounts']);
  });
});

describe('@fromContext arguments', () => {
  const data = {
    shops: [
      { __typename: 'Shop', id: 's1', currency: 'EUR', products: [{ id: 'p1' }] },
      { __typename: 'Shop', id: 's2', currency: null, products: [{ id: 'p1' }] },
    ],
    market: { __typename: 'Market', id: 'm1', currency: 'CHF', products: [{ id: 'p2' }] },
  };
  const fromShopOrMarket: FetchDataKeyRenamer[] = [
    { kind: 'KeyRenamer', path: ['..', '... on Shop', 'currency'], renameKeyTo: 'contextualArgument_1_0' },
    { kind: 'KeyRenamer', path: ['..', '... on Market', 'currency'], renameKeyTo: 'contextualArgument_1_0' },
  ];

  it('reads the value from the ancestor, past list indexes, through the type that set the context', () => {
    expect(contextArgumentsOf(schema, data, ['shops', 0, 'products', 0], fromShopOrMarket)).toEqual({ contextualArgument_1_0: 'EUR' });
    expect(contextArgumentsOf(schema, data, ['market', 'products', 0], fromShopOrMarket)).toEqual({ contextualArgument_1_0: 'CHF' });
  });

  it('passes a null the ancestor holds, and leaves out a value that is nowhere', () => {
    expect(contextArgumentsOf(schema, data, ['shops', 1, 'products', 0], fromShopOrMarket)).toEqual({ contextualArgument_1_0: null });
    expect(contextArgumentsOf(schema, data, ['products', 0], [{ kind: 'KeyRenamer', path: ['..', '..', 'currency'], renameKeyTo: 'c' }])).toEqual({});
  });
});
