/** The benchmark's results as JSON and as a markdown table, with the ratios the targets name. */
import { execSync } from 'node:child_process';
import { cpus } from 'node:os';
import { median, type HarnessOptions, type OperationSummary, type TargetSummary, type WorkloadSetup } from './harness';
import type { LoadResult } from './loadWorker';
import { beforeAs, ROUTER_LABELS } from './routersUnderTest';

export interface WorkloadReport {
  readonly workload: string;
  readonly title: string;
  readonly date: string;
  readonly commit: string;
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string };
  readonly options: HarnessOptions & { readonly routerCore: number; readonly mode: string };
  readonly facts: Readonly<Record<string, string | number>>;
  readonly operations: readonly OperationSummary[];
  readonly ratios: readonly Ratio[];
}

export interface Ratio {
  readonly operation: string;
  readonly rpsOursOverApollo: number | null;
  readonly rpsOursOverHive: number | null;
  readonly p99OursOverApollo: number | null;
  readonly p99OursOverHive: number | null;
  /** Against Hive Gateway on the Rust query planner (`hive-rust`). */
  readonly rpsOursOverHiveRust: number | null;
  readonly p99OursOverHiveRust: number | null;
  /** Our p50 minus the floor's, where there is a floor. */
  readonly p50OverFloorMs: number | null;
  readonly cpuPerRequestApolloOverOurs: number | null;
  /** What features cost: each variant of ours against its baseline, where both were measured. */
  readonly featureCosts: readonly FeatureCost[];
}

/** A variant's RPS and CPU per request over its baseline's (RPS 1 and CPU 1: the feature is free). */
export interface FeatureCost {
  readonly variant: string;
  readonly baseline: string;
  readonly rps: number | null;
  readonly cpu: number | null;
  /**
   * The same, paired by round: the median of each round's variant ÷ baseline, with the rounds'
   * quartiles. This machine's speed drifts over minutes by more than a feature costs; a round
   * measures both back to back, so the drift mostly cancels in its ratio.
   */
  readonly pairedRps: Spread | null;
  readonly pairedCpu: Spread | null;
}

/** A median with the first and third quartiles of what it is the median of. */
export interface Spread {
  readonly median: number;
  readonly q1: number;
  readonly q3: number;
}

/** Which of our variants is measured against which. */
const featureBaselines = (): readonly (readonly [variant: string, baseline: string])[] => [
  ['ours-on', 'ours-off'],
  ['ours-metrics', 'ours-bare'],
  ['ours-traced-1', 'ours-bare'],
  ['ours-traced-1', 'ours-metrics'],
  ['ours-traced-100', 'ours-bare'],
  [beforeAs(), 'ours-before'],
  ['ours', 'ours-unguarded'],
  ['ours', 'ours-unshed'],
  ['ours-cached', 'ours'],
  ['ours', 'ours-v8-young'],
  ['ours', 'ours-unbatched'],
  ['ours', 'ours-plan-batched'],
];

function measured(operation: OperationSummary, target: string): TargetSummary | undefined {
  return operation.targets.find((summary) => summary.target === target && summary.skipped === null && summary.rounds.length > 0);
}

const ratio = (a: number | undefined | null, b: number | undefined | null) => (a && b ? a / b : null);

/** Round i of the variant over round i of its baseline (both measured in every round), reduced to a spread. */
function pairedRatio(variant: readonly LoadResult[], baseline: readonly LoadResult[], value: (round: LoadResult) => number | null): Spread | null {
  if (variant.length !== baseline.length) return null;
  const ratios = variant.flatMap((round, index) => {
    const against = baseline[index];
    const result = against ? ratio(value(round), value(against)) : null;
    return result === null ? [] : [result];
  });
  return ratios.length > 0 ? spreadOf(ratios) : null;
}

export function spreadOf(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (fraction: number): number => {
    const position = (sorted.length - 1) * fraction;
    const below = sorted[Math.floor(position)] as number;
    const above = sorted[Math.ceil(position)] as number;
    return below + (above - below) * (position - Math.floor(position));
  };
  return { median: median(sorted), q1: at(0.25), q3: at(0.75) };
}

export function ratiosOf(operations: readonly OperationSummary[]): Ratio[] {
  return operations.map((operation) => {
    const ours = measured(operation, 'ours');
    const apollo = measured(operation, 'apollo');
    const hive = measured(operation, 'hive');
    const hiveRust = measured(operation, 'hive-rust');
    const floor = measured(operation, 'floor');
    return {
      operation: operation.id,
      rpsOursOverApollo: ratio(ours?.rps, apollo?.rps),
      rpsOursOverHive: ratio(ours?.rps, hive?.rps),
      p99OursOverApollo: ratio(ours?.p99Ms, apollo?.p99Ms),
      p99OursOverHive: ratio(ours?.p99Ms, hive?.p99Ms),
      rpsOursOverHiveRust: ratio(ours?.rps, hiveRust?.rps),
      p99OursOverHiveRust: ratio(ours?.p99Ms, hiveRust?.p99Ms),
      p50OverFloorMs: ours && floor ? ours.p50Ms - floor.p50Ms : null,
      cpuPerRequestApolloOverOurs: ratio(apollo?.cpuMsPerRequest, ours?.cpuMsPerRequest),
      featureCosts: featureBaselines().flatMap(([variant, baseline]) => {
        const with_ = measured(operation, variant);
        const without = measured(operation, baseline);
        if (!with_ || !without) return [];
        return [
          {
            variant,
            baseline,
            rps: ratio(with_.rps, without.rps),
            cpu: ratio(with_.cpuMsPerRequest, without.cpuMsPerRequest),
            pairedRps: pairedRatio(with_.rounds, without.rounds, (round) => round.rps),
            pairedCpu: pairedRatio(with_.rounds, without.rounds, (round) => round.cpuMsPerRequest),
          },
        ];
      }),
    };
  });
}

export function buildReport(setup: WorkloadSetup, options: WorkloadReport['options'], operations: readonly OperationSummary[]): WorkloadReport {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  return {
    workload: setup.id,
    title: setup.title,
    date: new Date().toISOString(),
    commit,
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
    options,
    facts: setup.facts,
    operations,
    ratios: ratiosOf(operations),
  };
}

const fixed = (value: number | null | undefined, digits: number) => (value === null || value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits));

const spreadText = (spread: Spread | null): string => (spread ? `${spread.median.toFixed(3)} (${spread.q1.toFixed(3)}–${spread.q3.toFixed(3)})` : '–');

export function toMarkdown(report: WorkloadReport): string {
  const lines = [
    `# ${report.title}`,
    '',
    `${report.date}, commit ${report.commit}, ${report.machine.cpu} (${report.machine.cores} cores), Node ${report.machine.node}.`,
    `Mode: ${report.options.mode}. Each router on core ${report.options.routerCore} alone (taskset); load generator, subgraphs and replay proxy on core ${report.options.loadCore}.`,
    `${report.options.rounds} alternating rounds of ${report.options.seconds} s after ${report.options.warmupSeconds} s warm-up, ${report.options.connections} connections (autocannon); medians of the rounds.${report.options.freshRouters ? ' Every round measured each router in a new process (BENCH_FRESH_ROUTERS).' : ''}`,
    ...(report.options.sideBySide
      ? [
          'Side by side (BENCH_SIDE_BY_SIDE): every round loaded all the routers at the same time, sharing the router core, so each met the same machine speed. RPS is each router\'s share of the core, not a throughput to compare with other runs; compare CPU per request, paired by round. Subgraph calls are not counted (the proxy cannot tell the routers apart).',
        ]
      : []),
    ...Object.entries(report.facts).map(([name, value]) => `- ${name}: ${value}`),
    '- subgraph calls/request: the subgraph requests the replay proxy received during the measured runs over the client requests sent (the floor calls the proxy once per request; requests still in flight at the end of a run count, with the calls they made).',
    ...(report.operations.some((operation) => measured(operation, 'ours-cached'))
      ? [
          report.options.mode === 'replay'
            ? '- entity cache (ours-cached against ours): in replay mode the proxy answers repeated subgraph requests from memory, so what the cache saves here is router CPU and subgraph calls, not PostgreSQL time; BENCH_MODE=live measures it against the real subgraphs and databases.'
            : '- entity cache (ours-cached against ours): live mode, every subgraph call reaches the real subgraph and its PostgreSQL, so a cache hit also saves their time.',
        ]
      : []),
    '',
    '| operation | target | RPS | p50 ms | p99 ms | CPU ms/request | subgraph calls/request | RSS MB | wrong answers | non-2xx | transport errors |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const operation of report.operations) {
    for (const target of operation.targets) {
      const label = ROUTER_LABELS[target.target];
      if (target.skipped) {
        const reason = target.skipped.replaceAll('|', '\\|').replace(/\s+/g, ' ');
        // The reason fills the RPS cell; the eight other measured columns stay empty.
        lines.push(`| ${operation.id} | ${label} | not measured: ${reason.length > 300 ? `${reason.slice(0, 300)}…` : reason} |${' |'.repeat(8)}`);
        continue;
      }
      lines.push(
        `| ${operation.id} | ${label} | ${fixed(target.rps, 0)} | ${fixed(target.p50Ms, 1)} | ${fixed(target.p99Ms, 1)} | ${fixed(target.cpuMsPerRequest, 3)} | ${fixed(target.subgraphCallsPerRequest, 2)} | ${fixed(target.rssMb, 0)} | ${target.wrong} | ${target.non2xx} | ${target.transportErrors} |`,
      );
    }
  }
  const comparedWithPeers = report.ratios.some((entry) => entry.rpsOursOverApollo !== null || entry.rpsOursOverHive !== null || entry.rpsOursOverHiveRust !== null || entry.p50OverFloorMs !== null);
  if (comparedWithPeers) {
    lines.push(
      '',
      '| operation | RPS ours ÷ apollo | RPS ours ÷ hive | RPS ours ÷ hive-rust | p99 ours ÷ apollo | p99 ours ÷ hive | p99 ours ÷ hive-rust | CPU/request apollo ÷ ours | our p50 − floor p50 (ms) |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const entry of report.ratios) {
      lines.push(
        `| ${entry.operation} | ${fixed(entry.rpsOursOverApollo, 2)} | ${fixed(entry.rpsOursOverHive, 2)} | ${fixed(entry.rpsOursOverHiveRust, 2)} | ${fixed(entry.p99OursOverApollo, 2)} | ${fixed(entry.p99OursOverHive, 2)} | ${fixed(entry.p99OursOverHiveRust, 2)} | ${fixed(entry.cpuPerRequestApolloOverOurs, 2)} | ${fixed(entry.p50OverFloorMs, 2)} |`,
      );
    }
  }
  if (report.ratios.some((entry) => entry.featureCosts.length > 0)) {
    lines.push(
      '',
      '| operation | variant | against | RPS variant ÷ against | CPU/request variant ÷ against | RPS, paired by round: median (quartiles) | CPU/request, paired by round: median (quartiles) |',
      '|---|---|---|---:|---:|---:|---:|',
    );
    for (const entry of report.ratios) {
      for (const cost of entry.featureCosts) {
        lines.push(`| ${entry.operation} | ${cost.variant} | ${cost.baseline} | ${fixed(cost.rps, 3)} | ${fixed(cost.cpu, 3)} | ${spreadText(cost.pairedRps)} | ${spreadText(cost.pairedCpu)} |`);
      }
    }
  }
  lines.push('', 'Operations:', ...report.operations.map((operation) => `- \`${operation.id}\`: ${operation.title}`), '');
  return lines.join('\n');
}
