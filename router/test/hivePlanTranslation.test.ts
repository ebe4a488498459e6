import { QueryPlanner as HivePlanner } from '@graphql-hive/router-query-planner';
import { Supergraph } from '@apollo/federation-internals';
import { QueryPlanner, type QueryPlan } from '@apollo/query-planner';
import { parse } from 'graphql';
import { ApolloQueryPlanning } from '../src/planning/apolloQueryPlanning';
import { argumentRequiringFields, ArgumentRequiresPlanning } from '../src/planning/argumentRequiresPlanning';
import { HiveQueryPlanning } from '../src/planning/hiveQueryPlanning';
import { translateHivePlan } from '../src/planning/hivePlanTranslation';
import { UntranslatableHivePlan } from '../src/planning/untranslatableHivePlan';
import { SupergraphPlanner } from '../src/supergraphPlanner';
import type { ConformanceFixture } from './conformance/conformanceCase';
import { interfaceObjectFixture } from './conformance/fixtures/interfaceObject';
import { productsFixture } from './conformance/fixtures/products';
import { requiresArgumentsFixture } from './conformance/fixtures/requiresArguments';
import { composeFixture } from './conformance/harness';

/** Plans of the real addon over the conformance fixtures' supergraphs, translated. */
const supergraphOf = (fixture: ConformanceFixture) => composeFixture(fixture.subgraphs, Object.fromEntries(fixture.subgraphs.map((subgraph) => [subgraph.name, `http://127.0.0.1:9/${subgraph.name}`])));
const hivePlan = (planner: HivePlanner, query: string) => translateHivePlan(planner.plan(query, null, new Set(), 0));

describe("Hive's plans in the executor's node shapes", () => {
  const requiresArguments = new HivePlanner(supergraphOf(requiresArgumentsFixture));

  it('splits a BatchFetch into one entity fetch per alias, and keeps a renamed required field apart', () => {
    const plan = hivePlan(requiresArguments, '{ item(id: "i1") { taxEur taxUsd } }');
    expect(plan.node).toMatchObject({ kind: 'Sequence', nodes: [{ kind: 'Fetch', serviceName: 'pricing' }, { kind: 'Parallel' }] });
    const parallel = plan.node?.kind === 'Sequence' ? plan.node.nodes[1] : undefined;
    expect(parallel?.kind === 'Parallel' ? parallel.nodes : []).toEqual([
      {
        kind: 'Flatten',
        path: ['item'],
        node: {
          kind: 'Fetch',
          serviceName: 'tax',
          operation: 'query($representations:[_Any!]!){_entities(representations:$representations){...on Item{taxUsd}}}',
          operationName: undefined,
          operationKind: 'query',
          // The USD price is in the data under the planner's alias; the subgraph is sent `price`.
          requires: [{ kind: 'InlineFragment', typeCondition: 'Item', selections: [{ kind: 'Field', name: '__typename' }, { kind: 'Field', name: '_internal_qp_alias_0', sentAs: 'price' }, { kind: 'Field', name: 'id' }] }],
        },
      },
      {
        kind: 'Flatten',
        path: ['item'],
        node: {
          kind: 'Fetch',
          serviceName: 'tax',
          operation: 'query($representations:[_Any!]!){_entities(representations:$representations){...on Item{taxEur}}}',
          operationName: undefined,
          operationKind: 'query',
          requires: [{ kind: 'InlineFragment', typeCondition: 'Item', selections: [{ kind: 'Field', name: '__typename' }, { kind: 'Field', name: 'price' }, { kind: 'Field', name: 'id' }] }],
        },
      },
    ]);
  });

  it('drops a last type condition the entity fetch asks for anyway, and keeps variables the fetch uses', () => {
    const products = new HivePlanner(supergraphOf(productsFixture));
    const plan = hivePlan(products, 'query($withStock: Boolean!) { product(upc: "1") { name ... @include(if: $withStock) { inStock shippingEstimate } } }');
    // Hive's path is product … on Product; the fetch's requires are `... on Product` only.
    expect(plan.node).toMatchObject({ kind: 'Sequence', nodes: [{ kind: 'Fetch', variableUsages: ['withStock'] }, { kind: 'Condition', condition: 'withStock', ifClause: { kind: 'Flatten', path: ['product'] } }] });
  });

  it("translates @interfaceObject rewrites into Apollo's shapes (the executor leaves them to Apollo's plan)", () => {
    const interfaceObject = new HivePlanner(supergraphOf(interfaceObjectFixture));
    const plan = hivePlan(interfaceObject, '{ topAccounts { __typename id } }');
    expect(plan.node).toMatchObject({
      kind: 'Sequence',
      nodes: [{ kind: 'Fetch', serviceName: 'activity' }, { kind: 'Flatten', path: ['topAccounts', '@'], node: { kind: 'Fetch', serviceName: 'accounts', inputRewrites: [{ kind: 'ValueSetter', path: ['... on Account', '__typename'], setValueTo: 'Account' }] } }],
    });
  });

  it('refuses what has no counterpart: a fragment spread in requires', () => {
    const translate = () =>
      translateHivePlan({
        kind: 'QueryPlan',
        node: { kind: 'Flatten', path: [{ Field: 'item' }], node: { kind: 'Fetch', serviceName: 'tax', operation: '{ _entities { __typename } }', requires: [{ kind: 'FragmentSpread', value: 'ItemKey' }] } },
      });
    expect(translate).toThrow(UntranslatableHivePlan);
    expect(translate).toThrow('a fragment spread in requires');
  });
});

describe('QUERY_PLANNER=hive falls back to Apollo where the executor cannot run Hive\'s plan', () => {
  it("plans @defer with Apollo's planner (Hive's plans it inline) and says so once", () => {
    const told: string[] = [];
    const planner = new SupergraphPlanner(supergraphOf(productsFixture), { name: 'hive', onFallback: (construct) => told.push(construct) });
    expect(planner.queryPlanning).toBeInstanceOf(HiveQueryPlanning);
    const deferred = planner.planQuery(parse('{ topProducts { upc ... @defer { name } } }'), undefined);
    const again = planner.planQuery(parse('{ topProducts { ... @defer { name } } }'), undefined);
    expect([deferred.node?.kind, again.node?.kind]).toEqual(['Defer', 'Defer']);
    expect(told).toEqual(["@defer (planned inline by Hive's planner)"]);
  });

  it("runs Hive's own plan where it can: a plan Apollo's planner would not make", () => {
    const told: string[] = [];
    const planner = new SupergraphPlanner(supergraphOf(requiresArgumentsFixture), { name: 'hive', onFallback: (construct) => told.push(construct) });
    const query = parse(CONFLICTING_REQUIRES);
    // Apollo's asks pricing for the USD price only; Hive's for both, the EUR one under an alias.
    expect(firstFetch(apolloOnly(supergraphOf(requiresArgumentsFixture)).planQuery(query, undefined))).toBe(APOLLO_FIRST_FETCH);
    expect(firstFetch(planner.planQuery(query, undefined))).toBe(HIVE_FIRST_FETCH);
    expect(told).toEqual([]);
  });
});

/** The client's `price` in USD beside taxEur, which requires `price(currency: "EUR")`. */
const CONFLICTING_REQUIRES = '{ item(id: "i1") { price(currency: "USD") taxEur } }';
const APOLLO_FIRST_FETCH = '{item(id:"i1"){__typename id price(currency:"USD")}}';
const HIVE_FIRST_FETCH = '{item(id: "i1"){__typename price(currency: "USD") id _internal_qp_alias_0: price(currency: "EUR")}}';
const firstFetch = (plan: QueryPlan) => (plan.node?.kind === 'Sequence' && plan.node.nodes[0]?.kind === 'Fetch' ? plan.node.nodes[0].operation : undefined);

/** Apollo's planner alone over a supergraph, as ApolloQueryPlanning wraps it. */
function apolloOnly(supergraphSdl: string): ApolloQueryPlanning {
  const supergraph = Supergraph.build(supergraphSdl);
  return new ApolloQueryPlanning(new QueryPlanner(supergraph), supergraph.apiSchema());
}

describe("QUERY_PLANNER=apollo plans an operation selecting a field whose @requires passes arguments with Hive's planner", () => {
  afterEach(() => jest.restoreAllMocks());

  it('finds the fields whose @requires field set passes arguments', () => {
    expect([...argumentRequiringFields(supergraphOf(requiresArgumentsFixture))].sort()).toEqual(['taxAt', 'taxEur', 'taxUsd']);
    expect(argumentRequiringFields(supergraphOf(productsFixture)).size).toBe(0);
  });

  it("keeps the required field's arguments apart where Apollo's planner merges them, and plans every other operation with Apollo's", () => {
    const hive = jest.spyOn(HiveQueryPlanning.prototype, 'planQuery');
    const planner = new SupergraphPlanner(supergraphOf(requiresArgumentsFixture));
    expect(planner.queryPlanning).toBeInstanceOf(ArgumentRequiresPlanning);
    const member = planner.planQuery(parse('{ member(org: "o1", login: "alice") { displayName seat } }'), undefined);
    expect(member).toEqual(apolloOnly(supergraphOf(requiresArgumentsFixture)).planQuery(parse('{ member(org: "o1", login: "alice") { displayName seat } }'), undefined));
    expect(hive).not.toHaveBeenCalled();
    expect(firstFetch(planner.planQuery(parse(CONFLICTING_REQUIRES), undefined))).toBe(HIVE_FIRST_FETCH);
    expect(hive).toHaveBeenCalledTimes(1);
  });

  it("leaves a supergraph without such @requires to Apollo's planner alone (Hive's addon is not loaded)", () => {
    expect(new SupergraphPlanner(supergraphOf(productsFixture)).queryPlanning).toBeInstanceOf(ApolloQueryPlanning);
  });
});
