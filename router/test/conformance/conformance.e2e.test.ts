import { parse } from 'graphql';
import { isExecutablePlan } from '../../src/execution/planExecutor';
import { SupergraphPlanner } from '../../src/supergraphPlanner';
import type { ConformanceCase } from './conformanceCase';
import { runCase } from './conformanceCheck';
import { startFixture, type ExecutorName, type RunningFixture } from './harness';
import { conformanceFixtures as fixtures } from './conformanceFixtures';

/**
 * The differential conformance suite: small federation fixtures on real HTTP, composed, each
 * operation run through both executors and compared with the answer the federation spec gives
 * (written by hand in the fixtures), then hunted for nulls no error explains.
 */
const executors: readonly ExecutorName[] = ['router', 'gateway'];

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
    const found = await runCase(running, conformance, executor, planner.apiGraphQLSchema);
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
