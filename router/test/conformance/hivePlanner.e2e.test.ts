import { parse } from 'graphql';
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
  // Hive's plan sets __typename "Account" on the representations it sends accounts (a ValueSetter
  // input rewrite), which the router's executor does not run: Apollo's plan serves these, on
  // @apollo/gateway, which nulls the unresolvable account without an error (as without Hive).
  '@interfaceObject / nested interface objects needing their concrete type; the one accounts does not know is an error at its path':
    "Apollo's plan (Hive's has data rewrites), on @apollo/gateway: the orphan author is null with no error",
  '@interfaceObject / an interface object whose concrete type cannot be resolved is an error at its path, not a silent null':
    "Apollo's plan (Hive's has data rewrites), on @apollo/gateway: { ghostAccount: null } with no error",
};

/**
 * Cases whose Hive plan the router cannot run (so Apollo's planner plans them, as it would
 * without QUERY_PLANNER=hive): `fixture / case` → the construct. Checked both ways: a case
 * listed here must still fall back, one not listed must run Hive's plan.
 */
const REWRITES = 'data rewrites (@interfaceObject)';
const hiveFallbacks: Readonly<Record<string, string>> = {
  'keys, @requires, @provides, @shareable, @override, @inaccessible / @defer: a deferred entity field per list item and a nested labelled defer, merged': "@defer (planned inline by Hive's planner)",
  '@interfaceObject / a list with __typename: the concrete types come from accounts': REWRITES,
  '@interfaceObject / a single value with an aliased __typename': REWRITES,
  '@interfaceObject / a list with interface fields from the owning subgraph': REWRITES,
  '@interfaceObject / a selection that needs the concrete type (fragments on User and Admin)': REWRITES,
  '@interfaceObject / a single value with a fragment on its concrete type and __typename': REWRITES,
  '@interfaceObject / concrete types to the interface object: score for each account accounts lists': REWRITES,
  '@interfaceObject / nested interface objects from a third subgraph, fields from the interface object subgraph': REWRITES,
  '@interfaceObject / nested interface objects needing their concrete type; the one accounts does not know is an error at its path': REWRITES,
  '@interfaceObject / an interface object whose concrete type cannot be resolved is an error at its path, not a silent null': REWRITES,
};

const outcomes: string[] = [];

describe.each(conformanceFixtures.map((fixture) => [fixture.name, fixture] as const))('conformance with Hive\'s planner: %s', (_name, fixture) => {
  let running: RunningFixture;
  let planner: SupergraphPlanner;

  beforeAll(async () => {
    running = await startFixture(fixture.subgraphs, { QUERY_PLANNER: 'hive' });
    planner = new SupergraphPlanner(running.supergraphSdl, { name: 'hive' });
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
