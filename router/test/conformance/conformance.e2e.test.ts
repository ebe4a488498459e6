import { delegateEnforcedSecurityFeatures, EXECUTOR_FEATURES } from '../../src/liveSupergraph';
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
    running = await startFixture(fixture.subgraphs, fixture.gatewayRefuses ? ['router'] : executors);
    planner = new SupergraphPlanner(delegateEnforcedSecurityFeatures(running.supergraphSdl, EXECUTOR_FEATURES));
  });

  afterAll(() => running?.stop());

  /** Requests the router in front of our executor handed to @apollo/gateway because of their plan. */
  const planHandoffs = async () => (await running.handoffs()).byReason.plan ?? 0;

  async function run(conformance: ConformanceCase, executor: ExecutorName): Promise<string[]> {
    const handedBefore = executor === 'router' ? await planHandoffs() : 0;
    const found = await runCase(running, conformance, executor, planner.apiGraphQLSchema);
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
