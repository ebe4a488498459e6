/**
 * `npm run bench`: our router against plain @apollo/gateway, Hive Gateway and Hive Gateway on the
 * Rust query planner, in one run, on the same subgraphs, data and supergraph file. Writes bench/results/routers-<workload>.{json,md}.
 *
 * Settings (environment): BENCH_WORKLOADS (B,A), BENCH_MODE (replay | live), BENCH_ROUNDS (3),
 * BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (3), BENCH_CONNECTIONS (32), BENCH_CPU_PROFILE (1 to
 * profile our router; the profile is summarised into the results folder), BENCH_OPERATIONS (only
 * these operation ids), BENCH_LABEL (suffix of the result files, for a variant such as
 * ROUTER_EXECUTOR=gateway, which our router is started with when set), BENCH_ROUTERS (the targets,
 * default ours,apollo,hive,hive-rust; a peer that does not start or answers wrongly is reported
 * as not measured, with why, and the run goes on; also variants of ours for what a feature costs in one run: ours-off /
 * ours-on, every protection stage off / on; ours-bare / ours-metrics / ours-traced-1 /
 * ours-traced-100, metrics and tracing off / metrics on / with tracing at 1 % / 100 % to a local
 * receiver; ours-unguarded, subgraph circuit breakers and retries off, and ours-unshed, load
 * shedding off, against ours; ours-cached, the entity cache on, against ours: workload A, replay
 * or live; ours-v8-young, the router on V8's default young generation (without
 * ROUTER_NODE_FLAGS), against ours; ours-unbatched / ours-plan-batched, SUBGRAPH_BATCHING off /
 * plan, against ours (tick)),
 * BENCH_PROFILE_TARGET (which of ours to profile), BENCH_TRACED_ENV (JSON, more environment for
 * the traced variants, to take tracing's cost apart), BENCH_FRESH_ROUTERS (1: every round
 * measures each router in a new process, warmed up by BENCH_WARMUP_SECONDS alone, so one slow
 * process cannot decide a comparison of variants), BENCH_SIDE_BY_SIDE (1: every round loads all
 * the routers at once on the shared router core, so they meet the same machine speed; compare
 * their CPU per request, paired by round: what a feature costs, when the machine is noisy).
 * Everything binds to 127.0.0.1; each load run is bounded in time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { oursWindows, runWorkload, type HarnessOptions, type WorkloadOptions, type WorkloadSetup } from './harness';
import { stopPinnedOnSignals } from './processes';
import { summariseProfiles } from './profileSummary';
import { buildReport, toMarkdown } from './report';
import { ROOT } from './routersUnderTest';
import { setUpWorkloadA } from './workloadA/workload';
import { setUpWorkloadB } from './workloadB/workload';

const RESULTS = resolve(ROOT, 'bench', 'results');

function numberSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

async function main(): Promise<void> {
  stopPinnedOnSignals();
  const workloads = (process.env.BENCH_WORKLOADS ?? 'B,A').split(',').map((name) => name.trim().toUpperCase());
  const mode = process.env.BENCH_MODE === 'live' ? 'live' : 'replay';
  if (cpus().length < 2) throw new Error('the benchmark pins the router to one core and the load to another: it needs 2 cores');
  const routerCore = 0;
  const options: HarnessOptions = {
    rounds: numberSetting('BENCH_ROUNDS', 3),
    seconds: numberSetting('BENCH_SECONDS', 10),
    warmupSeconds: numberSetting('BENCH_WARMUP_SECONDS', 3),
    connections: numberSetting('BENCH_CONNECTIONS', 32),
    loadCore: 1,
    freshRouters: process.env.BENCH_FRESH_ROUTERS === '1',
    sideBySide: process.env.BENCH_SIDE_BY_SIDE === '1',
  };
  const profile = process.env.BENCH_CPU_PROFILE === '1';
  // A profile is cut to the measured windows of one process's life.
  if (profile && options.freshRouters) throw new Error('BENCH_CPU_PROFILE and BENCH_FRESH_ROUTERS cannot be combined: a profile covers one router process');
  const workDir = resolve(RESULTS, 'tmp');
  mkdirSync(workDir, { recursive: true });
  const log = (line: string) => process.stdout.write(`${line}\n`);
  // BENCH_LABEL keeps a variant's results apart (e.g. ROUTER_EXECUTOR=gateway, the "before").
  const label = process.env.BENCH_LABEL ? `-${process.env.BENCH_LABEL.replace(/[^a-z0-9-]/gi, '')}` : '';

  for (const workload of workloads) {
    const cpuProfileDir = profile ? resolve(workDir, `profile-${workload}-${Date.now()}`) : undefined;
    const common: WorkloadOptions = { routerCore, serviceCore: options.loadCore, mode, workDir, cpuProfileDir };
    log(`workload ${workload} (${mode}): starting subgraphs, proxy and routers…`);
    let setup: WorkloadSetup;
    if (workload === 'A') setup = await setUpWorkloadA(common);
    else if (workload === 'B') setup = await setUpWorkloadB(common);
    else throw new Error(`unknown workload "${workload}" (A or B)`);
    try {
      const operations = await runWorkload(setup, options, log);
      const report = buildReport(setup, { ...options, routerCore, mode }, operations);
      writeFileSync(resolve(RESULTS, `routers-${workload}${label}.json`), `${JSON.stringify(report, null, 2)}\n`);
      writeFileSync(resolve(RESULTS, `routers-${workload}${label}.md`), toMarkdown(report));
      log(toMarkdown(report));
    } finally {
      await setup.stop();
    }
    if (cpuProfileDir) {
      const summary = [
        summariseProfiles(cpuProfileDir, 30, [...oursWindows.values()].flat(), 'all operations'),
        ...[...oursWindows].map(([operation, windows]) => summariseProfiles(cpuProfileDir, 12, windows, operation)),
      ].join('\n');
      oursWindows.clear();
      writeFileSync(resolve(RESULTS, `profile-ours-${workload}${label}.md`), summary);
      log(summary);
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
