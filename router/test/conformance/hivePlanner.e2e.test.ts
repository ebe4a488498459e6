import { parse } from 'graphql';
import { delegateEnforcedSecurityFeatures, EXECUTOR_FEATURES } from '../../src/liveSupergraph';
import { HiveQueryPlanning } from '../../src/planning/hiveQueryPlanning';
import { SupergraphPlanner } from '../../src/supergraphPlanner';
import type { ConformanceCase } from './conformanceCase';
import { runCase } from './conformanceCheck';
import { conformanceFixtures } from './conformanceFixtures';
import { startFixture, type RunningFixture } from './harness';

/**
 * The differential suite again, on the router's executor with QUERY_PLANNER=hive: every case of
 * every fixture against the spec's answer. Only the router's executor: the gateway plans with
 * its own (Apollo's) planner whatever QUERY_PLANNER says.
 */

/**
 * Cases Hive's planner (with the router's executor) answers wrongly, `fixture / case` → what it
 * does. A mark stays only while the case is still wrong.
 */
const hiveKnownWrong: Readonly<Record<string, string>> = {
  // Hive's plan gives the interface object's own __typename ("Account") to the alias; the
  // executor reports it at the path (INVALID_GRAPHQL) instead of the concrete type accounts knows.
  '@interfaceObject / a single value with an aliased __typename': 'bestAccount is null with "Invalid __typename found for object at field Query.bestAccount."',
};

/**
 * Cases whose Hive plan the router cannot run (so Apollo's planner plans them, as it would
 * without QUERY_PLANNER=hive): `fixture / case` → the construct. Checked both ways: a case
 * listed here must still fall back, one not listed must run Hive's plan.
 */
const CONTEXT = "@fromContext (no context arguments in Hive's plans)";
const hiveFallbacks: Readonly<Record<string, string>> = {
  'keys, @requires, @provides, @shareable, @override, @inaccessible / @defer: a deferred entity field per list item and a nested labelled defer, merged': "@defer (planned inline by Hive's planner)",
  "@context and @fromContext / a list of contexts: one product under two shops is priced in each shop's currency": CONTEXT,
  '@context and @fromContext / a single context, a nested single product, with a field from another subgraph': CONTEXT,
  '@context and @fromContext / the context set by the other type that sets it (a market)': CONTEXT,
  '@context and @fromContext / the context value asked by the client too, the price aliased, names from catalog': CONTEXT,
  '@context and @fromContext / shops and markets side by side: each product priced by its own ancestor': CONTEXT,
};

const outcomes: string[] = [];

describe.each(conformanceFixtures.map((fixture) => [fixture.name, fixture] as const))('conformance with Hive\'s planner: %s', (_name, fixture) => {
  let running: RunningFixture;
  let planner: SupergraphPlanner;

  beforeAll(async () => {
    running = await startFixture(fixture.subgraphs, ['router'], { QUERY_PLANNER: 'hive' });
    planner = new SupergraphPlanner(delegateEnforcedSecurityFeatures(running.supergraphSdl, EXECUTOR_FEATURES), { name: 'hive' });
  });
  afterAll(() => running?.stop());

  /** What keeps Hive's plan from running on the router's executor, if anything (undefined: a validation error, answered before planning). */
  function fallbackOf(conformance: ConformanceCase): string | null | undefined {
    const hive = planner.queryPlanning;
    if (!(hive instanceof HiveQueryPlanning)) throw new Error('QUERY_PLANNER=hive did not give Hive\'s planner');
    let document;
    try {
      document = parse(conformance.query);
      planner.planQuery(document, undefined);
    } catch {
      return undefined;
    }
    const attempt = hive.hivePlan(document, undefined);
    return 'plan' in attempt ? null : `${attempt.construct}${attempt.detail ? `: ${attempt.detail}` : ''}`;
  }

  for (const conformance of fixture.cases) {
    const key = `${fixture.name} / ${conformance.name}`;
    const knownWrong = hiveKnownWrong[key];
    it(`${conformance.name} [hive${knownWrong ? `: known wrong: ${knownWrong}` : ''}]`, async () => {
      const found = await runCase(running, conformance, 'router', planner.apiGraphQLSchema);
      const fallback = fallbackOf(conformance);
      const via = fallback ? ` (Apollo's plan: Hive's uses ${fallback})` : '';
      outcomes.push(`${found.length === 0 ? 'ok   ' : 'wrong'} hive    ${key}${via}${found.length ? `\n       ${found.join('\n       ')}` : ''}`);
      if (fallback !== undefined) expect(fallback ?? undefined).toBe(hiveFallbacks[key]);
      if (knownWrong) expect(found).not.toEqual([]);
      else expect(found).toEqual([]);
    });
  }
});

afterAll(() => {
  process.stdout.write(`conformance outcomes with QUERY_PLANNER=hive:\n${outcomes.join('\n')}\n`);
});
