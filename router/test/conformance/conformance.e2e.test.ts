import { delegateEnforcedSecurityFeatures, EXECUTOR_FEATURES } from '../../src/liveSupergraph';
import { SupergraphPlanner } from '../../src/supergraphPlanner';
import type { ConformanceCase, ConformanceFixture, ExpectedError } from './conformanceCase';
import { startFixture, type ConformanceResponse, type ExecutorName, type RunningFixture } from './harness';
import { unexplainedNulls } from './nullHunt';
import { abstractTypesFixture } from './fixtures/abstractTypes';
import { aliasedKeysFixture } from './fixtures/aliasedKeys';
import { contextArgumentsFixture } from './fixtures/contextArguments';
import { interfaceObjectFixture } from './fixtures/interfaceObject';
import { mutationsFixture } from './fixtures/mutations';
import { nullsBesideFetchErrorsFixture } from './fixtures/nullsBesideFetchErrors';
import { productsFixture } from './fixtures/products';
import { requiresArgumentsFixture } from './fixtures/requiresArguments';

/**
 * The differential conformance suite: small federation fixtures on real HTTP, composed, each
 * operation run through both executors and compared with the answer the federation spec gives
 * (written by hand in the fixtures), then hunted for nulls no error explains.
 */
const fixtures: readonly ConformanceFixture[] = [
  productsFixture,
  interfaceObjectFixture,
  abstractTypesFixture,
  mutationsFixture,
  nullsBesideFetchErrorsFixture,
  requiresArgumentsFixture,
  contextArgumentsFixture,
  aliasedKeysFixture,
];
const executors: readonly ExecutorName[] = ['router', 'gateway'];

/** `errors` and the value-completion errors Apollo's executors put in `extensions`, as the spec's one list. */
function allErrors(response: ConformanceResponse): { message: string; code?: unknown; path?: readonly (string | number)[] }[] {
  const valueCompletion = (response.extensions?.valueCompletion ?? []) as NonNullable<ConformanceResponse['errors']>;
  return [...(response.errors ?? []), ...valueCompletion].map((error) => ({ message: error.message, code: error.extensions?.code, ...(error.path ? { path: error.path } : {}) }));
}

const byPath = (a: { path?: readonly unknown[] }, b: { path?: readonly unknown[] }) => JSON.stringify(a.path ?? []).localeCompare(JSON.stringify(b.path ?? []));

/** What differs from the spec's answer, one line each (empty: conforms). */
function differences(conformance: ConformanceCase, response: ConformanceResponse, called: string[], apiSchema: SupergraphPlanner['apiGraphQLSchema']): string[] {
  const found: string[] = [];
  if (JSON.stringify(response.data) !== JSON.stringify(conformance.data)) found.push(`data ${JSON.stringify(response.data)}`);
  const actual = allErrors(response).sort(byPath);
  const expected = [...(conformance.errors ?? [])].sort(byPath);
  const matches = (error: (typeof actual)[number], want: ExpectedError) =>
    (want.message === undefined || error.message === want.message) && (want.code === undefined || error.code === want.code) && (want.path === undefined || JSON.stringify(error.path) === JSON.stringify(want.path));
  if (actual.length !== expected.length || !expected.every((want, index) => matches(actual[index], want))) found.push(`errors ${JSON.stringify(actual)}`);
  if (conformance.subgraphsCalled && JSON.stringify(called) !== JSON.stringify([...conformance.subgraphsCalled].sort())) found.push(`called ${called.join(',')}`);
  const unexplained = unexplainedNulls(apiSchema, conformance.query, response, conformance.legitimateNulls);
  if (unexplained.length > 0) found.push(`null without error at ${unexplained.map((path) => path.join('.') || '(data)').join(', ')}`);
  return found;
}

/** Each run's outcome, printed at the end: the suite's table of which case fails on which executor. */
const outcomes: string[] = [];

describe.each(fixtures.map((fixture) => [fixture.name, fixture] as const))('conformance: %s', (_name, fixture) => {
  let running: RunningFixture;
  let planner: SupergraphPlanner;

  beforeAll(async () => {
    running = await startFixture(fixture.subgraphs, fixture.gatewayRefuses ? ['router'] : executors);
    planner = new SupergraphPlanner(delegateEnforcedSecurityFeatures(running.supergraphSdl, EXECUTOR_FEATURES));
  });

  afterAll(() => running?.stop());

  /** Requests the router in front of our executor handed to @apollo/gateway because of their plan. */
  const planHandoffs = async () => (await running.handoffs()).byReason.plan ?? 0;

  async function run(conformance: ConformanceCase, executor: ExecutorName): Promise<string[]> {
    conformance.before?.();
    const before = { ...running.calls };
    const handedBefore = executor === 'router' ? await planHandoffs() : 0;
    const response = await running.query(executor, conformance.query, conformance.variables);
    const called = Object.keys(running.calls).filter((name) => running.calls[name] > (before[name] ?? 0)).sort();
    const found = differences(conformance, response, called, planner.apiGraphQLSchema);
    // Our executor must run every query and mutation plan itself: a handoff is a difference.
    const handedOver = executor === 'router' && (await planHandoffs()) > handedBefore;
    if (handedOver) found.push('left to @apollo/gateway (reason=plan)');
    const via = handedOver ? ' (left to @apollo/gateway)' : '';
    outcomes.push(`${found.length === 0 ? 'ok   ' : 'wrong'} ${executor.padEnd(7)} ${fixture.name} / ${conformance.name}${via}${found.length ? `\n       ${found.join('\n       ')}` : ''}`);
    return found;
  }

  if (fixture.gatewayRefuses) {
    it(`[gateway: refuses the supergraph: ${fixture.gatewayRefuses}]`, async () => {
      expect(await running.startsOn('gateway')).toBe(false);
      outcomes.push(`wrong gateway ${fixture.name} / (every case: the gateway refuses the supergraph)`);
    });
  }

  for (const conformance of fixture.cases) {
    for (const executor of fixture.gatewayRefuses ? (['router'] as const) : executors) {
      const knownWrong = conformance.knownWrong?.[executor];
      if (knownWrong) {
        // Known to be wrong (see the fixture's note): still wrong, or the mark must go.
        it(`${conformance.name} [${executor}: known wrong: ${knownWrong}]`, async () => {
          expect(await run(conformance, executor)).not.toEqual([]);
        });
      } else {
        it(`${conformance.name} [${executor}]`, async () => {
          expect(await run(conformance, executor)).toEqual([]);
        });
      }
    }
  }

  it('leaves no plan to @apollo/gateway on the default router', async () => {
    const { byReason, gatewayBuilt } = await running.handoffs();
    expect(byReason.plan).toBe(0);
    // Only a request refused before execution (a case without data) may reach the gateway's pipeline.
    if (fixture.cases.every((conformance) => conformance.data !== undefined)) {
      expect(Object.values(byReason).reduce((sum, count) => sum + count, 0)).toBe(0);
      expect(gatewayBuilt).toBe(false);
    }
  });
});

afterAll(() => {
  process.stdout.write(`conformance outcomes:\n${outcomes.join('\n')}\n`);
});
