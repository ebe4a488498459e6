/**
 * `npm run bench:planner`: planning CPU of the router's two query planners (QUERY_PLANNER=apollo,
 * the default, and QUERY_PLANNER=hive) on workload A's and B's operations and on every operation
 * of the differential conformance suite, each over its own supergraph. No router, no subgraph: only
 * what a plan-cache miss costs the router (its prepared operations keep plans, so this is paid
 * once per operation and kind of viewer).
 *
 * Each planner is called as the router calls it (SupergraphPlanner.planQuery: Apollo's builds
 * its operation from the document; Hive's prints the document, plans in the addon, translates
 * the plan). Figures: the first plan of each operation on a fresh planner (cold: JIT and the
 * planners' lazily built graphs included), and the mean of BENCH_PLANNER_REPEATS (200) more
 * plans of it (neither planner caches plans), as process CPU time (user + system) per plan.
 * Operations Hive's planner leaves to Apollo's (see router/src/planning) are marked: with
 * QUERY_PLANNER=hive they cost Hive's attempt and Apollo's plan, and that is what is timed.
 *
 * Settings: BENCH_PLANNER_REPEATS, BENCH_LABEL (suffix of the result file).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { resolve } from 'node:path';
import { parse, type DocumentNode } from 'graphql';
import ts from 'typescript';
import { HiveQueryPlanning } from '@booking/router/dist/planning/hiveQueryPlanning';
import type { QueryPlannerName } from '@booking/router/dist/planning/queryPlanning';
import { SupergraphPlanner } from '@booking/router/dist/supergraphPlanner';
import { ROOT } from './routers/routersUnderTest';
import { BOOKINGS_20, BOOKINGS_20_DEFERRED, CREATE_BOOKING, LISTINGS_WIDE, LOOKUP, NOVEL } from './routers/workloadA/workload';
import { composeGuildSupergraph, GUILD_QUERY } from './routers/workloadB/workload';
import { NOVEL_MARKER } from './routers/operations';
import { delegateEnforcedSecurityFeatures } from '@booking/router/dist/liveSupergraph';

const RESULTS = resolve(ROOT, 'bench', 'results');
const PLANNERS: readonly QueryPlannerName[] = ['apollo', 'hive'];

interface PlanningSet {
  readonly name: string;
  readonly supergraphSdl: string;
  readonly operations: readonly { readonly name: string; readonly query: string }[];
}

/** What this script reads of a conformance fixture (router/test/conformance/conformanceCase.ts). */
interface ConformanceFixture {
  readonly name: string;
  readonly subgraphs: readonly { readonly name: string }[];
  readonly cases: readonly { readonly name: string; readonly query: string }[];
}

/** The conformance fixtures are test sources (no build compiles them): loaded through a TypeScript transpiler. */
function conformanceSets(): PlanningSet[] {
  const extensions = (Module as unknown as { _extensions: Record<string, (module: { _compile(code: string, file: string): void }, file: string) => void> })._extensions;
  extensions['.ts'] = (module, file) => {
    const output = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true }, fileName: file });
    module._compile(output.outputText, file);
  };
  const conformance = resolve(ROOT, 'router', 'test', 'conformance');
  const { conformanceFixtures } = require(resolve(conformance, 'conformanceFixtures.ts')) as { conformanceFixtures: readonly ConformanceFixture[] };
  const { composeFixture } = require(resolve(conformance, 'harness.ts')) as { composeFixture(subgraphs: ConformanceFixture['subgraphs'], urls: Record<string, string>): string };
  return conformanceFixtures.map((fixture) => ({
    name: `conformance: ${fixture.name}`,
    supergraphSdl: composeFixture(fixture.subgraphs, Object.fromEntries(fixture.subgraphs.map((subgraph) => [subgraph.name, `http://127.0.0.1:9/${subgraph.name}`]))),
    operations: fixture.cases.map((conformance) => ({ name: conformance.name, query: conformance.query })),
  }));
}

function cpuMicros(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

interface Timing {
  readonly set: string;
  readonly operation: string;
  /** µs of CPU per plan: the first on a fresh planner, then the mean of the repeats. */
  readonly first: Record<QueryPlannerName, number>;
  readonly repeated: Record<QueryPlannerName, number>;
  /** With QUERY_PLANNER=hive, Apollo's planner plans it (what Hive's plan uses instead). */
  readonly fallback?: string;
}

interface Build {
  readonly set: string;
  /** µs of CPU to build a SupergraphPlanner with each choice. */
  readonly apollo: number;
  readonly hive: number;
}

function buildCost(set: PlanningSet): Build {
  const median = (name: QueryPlannerName) => {
    const samples = Array.from({ length: 5 }, () => {
      const since = process.cpuUsage();
      new SupergraphPlanner(set.supergraphSdl, { name });
      return cpuMicros(since);
    }).sort((a, b) => a - b);
    return samples[2] as number;
  };
  return { set: set.name, apollo: median('apollo'), hive: median('hive') };
}

function measure(sets: readonly PlanningSet[], repeats: number): { timings: Timing[]; builds: Build[]; leftToApollo: string[]; unplannable: string[] } {
  const timings: Timing[] = [];
  const leftToApollo: string[] = [];
  const unplannable: string[] = [];
  for (const set of sets) {
    const planners = Object.fromEntries(PLANNERS.map((name) => [name, new SupergraphPlanner(set.supergraphSdl, { name })])) as Record<QueryPlannerName, SupergraphPlanner>;
    for (const operation of set.operations) {
      const document: DocumentNode = parse(operation.query, { noLocation: true });
      const hive = planners.hive.queryPlanning;
      if (!(hive instanceof HiveQueryPlanning)) throw new Error("QUERY_PLANNER=hive did not give Hive's planner");
      try {
        planners.apollo.planQuery(document, undefined);
      } catch {
        unplannable.push(`${set.name} / ${operation.name}`);
        continue;
      }
      // Still timed: with QUERY_PLANNER=hive such an operation costs Hive's attempt and Apollo's plan.
      const attempt = hive.hivePlan(document, undefined);
      const fallback = 'plan' in attempt ? undefined : attempt.construct;
      if (fallback) leftToApollo.push(`${set.name} / ${operation.name}: ${fallback}`);
      const first = {} as Record<QueryPlannerName, number>;
      const repeated = {} as Record<QueryPlannerName, number>;
      for (const name of PLANNERS) {
        // A fresh planner per operation and planner: the first plan is a cold one.
        const fresh = new SupergraphPlanner(set.supergraphSdl, { name });
        let since = process.cpuUsage();
        fresh.planQuery(document, undefined);
        first[name] = cpuMicros(since);
        since = process.cpuUsage();
        for (let round = 0; round < repeats; round += 1) fresh.planQuery(document, undefined);
        repeated[name] = cpuMicros(since) / repeats;
      }
      timings.push({ set: set.name, operation: `${operation.name}${fallback ? " (Hive → Apollo's plan)" : ''}`, first, repeated, ...(fallback ? { fallback } : {}) });
    }
  }
  // The workloads' supergraphs are the ones a router loads; the fixtures' are tiny.
  return { timings, builds: sets.filter((set) => set.name.startsWith('workload')).map(buildCost), leftToApollo, unplannable };
}

const format = (micros: number) => (micros >= 100 ? micros.toFixed(0) : micros.toFixed(1));
const geometricMean = (values: readonly number[]) => Math.exp(values.reduce((sum, value) => sum + Math.log(value), 0) / values.length);
const ratio = (timings: readonly Timing[], which: 'first' | 'repeated') => (timings.length === 0 ? '-' : geometricMean(timings.map((timing) => timing[which].hive / timing[which].apollo)).toFixed(2));

function report(result: ReturnType<typeof measure>, repeats: number): string {
  const lines = [
    `# Planning CPU: Apollo's planner vs Hive's (QUERY_PLANNER)`,
    '',
    `\`npm run bench:planner\`, ${new Date().toISOString()}, Node ${process.version}, @apollo/query-planner 2.14.4, @graphql-hive/router-query-planner 0.0.38.`,
    `CPU time (user + system) per plan through SupergraphPlanner.planQuery, in µs: the first plan on a fresh planner, and the mean of ${repeats} more.`,
    '',
    '| supergraph / operation | Apollo first | Hive first | Apollo repeated | Hive repeated | Hive / Apollo (repeated) |',
    '|---|---:|---:|---:|---:|---:|',
    ...result.timings.map(
      (timing) =>
        `| ${timing.set} / ${timing.operation} | ${format(timing.first.apollo)} | ${format(timing.first.hive)} | ${format(timing.repeated.apollo)} | ${format(timing.repeated.hive)} | ${(timing.repeated.hive / timing.repeated.apollo).toFixed(2)} |`,
    ),
    '',
    ...(
      [
        { which: 'all', timings: result.timings },
        { which: "those Hive's planner plans itself", timings: result.timings.filter((timing) => !timing.fallback) },
        { which: "those left to Apollo's plan", timings: result.timings.filter((timing) => timing.fallback) },
      ] as const
    ).map(({ which, timings }) => `Geometric mean of Hive / Apollo over ${which} (${timings.length} operations): first plan ${ratio(timings, 'first')}, repeated ${ratio(timings, 'repeated')}.  `),
    '',
    '## Building the planners (once per supergraph load)',
    '',
    "CPU ms of `new SupergraphPlanner(sdl, choice)`, median of 5 (with QUERY_PLANNER=hive Apollo's planner is built too: it plans subscriptions and what Hive's plans cannot be run for).",
    '',
    '| supergraph | apollo | hive |',
    '|---|---:|---:|',
    ...result.builds.map((build) => `| ${build.set} | ${(build.apollo / 1000).toFixed(1)} | ${(build.hive / 1000).toFixed(1)} |`),
    '',
    `Planned by Apollo's planner also with QUERY_PLANNER=hive (marked "Hive → Apollo's plan" above; their Hive column is Hive's attempt plus Apollo's plan): ${result.leftToApollo.length === 0 ? 'none' : ''}`,
    ...result.leftToApollo.map((line) => `- ${line}`),
    '',
    `Not plannable (refused at validation, before any planner): ${result.unplannable.length === 0 ? 'none' : result.unplannable.join('; ')}`,
    '',
  ];
  return lines.join('\n');
}

function main(): void {
  const repeats = Number(process.env.BENCH_PLANNER_REPEATS ?? 200);
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`BENCH_PLANNER_REPEATS must be a positive integer, got "${process.env.BENCH_PLANNER_REPEATS}"`);
  const sets: PlanningSet[] = [
    {
      name: 'workload A',
      supergraphSdl: delegateEnforcedSecurityFeatures(readFileSync(resolve(ROOT, 'schema', 'supergraph.graphql'), 'utf8')),
      operations: Object.entries({ LOOKUP, BOOKINGS_20, BOOKINGS_20_DEFERRED, LISTINGS_WIDE, CREATE_BOOKING, NOVEL: NOVEL.replaceAll(NOVEL_MARKER, 'once') }).map(([name, query]) => ({ name, query })),
    },
    { name: 'workload B', supergraphSdl: composeGuildSupergraph((name) => `http://127.0.0.1:9/${name}`), operations: [{ name: 'TestQuery (the Guild nested query)', query: GUILD_QUERY }] },
    ...conformanceSets(),
  ];
  const markdown = report(measure(sets, repeats), repeats);
  mkdirSync(RESULTS, { recursive: true });
  const file = resolve(RESULTS, `planner-cpu${process.env.BENCH_LABEL ? `-${process.env.BENCH_LABEL}` : ''}.md`);
  writeFileSync(file, markdown);
  process.stdout.write(`${markdown}\nwritten to ${file}\n`);
}

main();
