import { parse } from 'graphql';
import { isExecutablePlan } from '../../src/execution/planExecutor';
import { SupergraphPlanner } from '../../src/supergraphPlanner';
import type { ConformanceCase, ConformanceFixture, ExpectedError } from './conformanceCase';
import { startFixture, type ConformanceResponse, type ExecutorName, type RunningFixture } from './harness';
import { unexplainedNulls } from './nullHunt';
import { abstractTypesFixture } from './fixtures/abstractTypes';
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
const fixtures: readonly ConformanceFixture[] = [productsFixture, interfaceObjectFixture, abstractTypesFixture, mutationsFixture, nullsBesideFetchErrorsFixture, requiresArgumentsFixture];
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
    running = await startFixture(fixture.subgraphs);
    planner = new SupergraphPlanner(running.supergraphSdl);
  });

  /**
   * The default executor leaves some plans (rewrites of @interfaceObject, @defer...) to
   * @apollo/gateway: the table says so, since such a run proves nothing about our own executor.
   */
  function leftToGateway(conformance: ConformanceCase): boolean {
    try {
      const node = planner.planQuery(parse(conformance.query), undefined).node;
      return node?.kind === 'Subscription' || !isExecutablePlan(node);
    } catch {
      return false; // not plannable (a validation error): answered before any executor
    }
  }
  afterAll(() => running?.stop());

  async function run(conformance: ConformanceCase, executor: ExecutorName): Promise<string[]> {
    conformance.before?.();
    const before = { ...running.calls };
    const response = await running.query(executor, conformance.query, conformance.variables);
    const called = Object.keys(running.calls).filter((name) => running.calls[name] > (before[name] ?? 0)).sort();
    const found = differences(conformance, response, called, planner.apiGraphQLSchema);
    const via = executor === 'router' && leftToGateway(conformance) ? ' (left to @apollo/gateway)' : '';
    outcomes.push(`${found.length === 0 ? 'ok   ' : 'wrong'} ${executor.padEnd(7)} ${fixture.name} / ${conformance.name}${via}${found.length ? `\n       ${found.join('\n       ')}` : ''}`);
    return found;
  }

  for (const conformance of fixture.cases) {
    for (const executor of executors) {
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
});

afterAll(() => {
  process.stdout.write(`conformance outcomes:\n${outcomes.join('\n')}\n`);
});
