/**
 * `npm run bench:instructions`: what each of our router variants executes per request, counted
 * in machine instructions by valgrind's callgrind, on the benchmark's workloads and data.
 *
 * Why: on this machine a router process sometimes runs whole rounds about 30 % slower than
 * another process of the same build, so RPS differences of a few per cent between variants
 * (what a feature costs) drown in noise. An instruction count for a fixed number of requests is
 * the same whatever else the machine is doing, and comparable between variants of one build.
 * It is not a speed: cache misses and stalls are not in it. Use it beside `npm run bench`, not
 * instead of it.
 *
 * Each variant starts under callgrind with instrumentation off, takes the warm-up requests
 * (JIT tiers settle), then counting goes on, and every round zeroes the counters, sends exactly
 * BENCH_INSTR_REQUESTS requests, and dumps. Every answer must be byte-identical to the verified
 * one. Time-driven work (a span exporter's timer, metrics) happens about 50 times more often
 * per request under valgrind than at full speed, so the count overstates it slightly.
 *
 * Settings: BENCH_WORKLOADS (A), BENCH_ROUTERS (ours variants only, e.g.
 * ours-metrics,ours-traced-1), BENCH_OPERATIONS (lookup), BENCH_INSTR_WARMUP (3000 requests),
 * BENCH_INSTR_REQUESTS (1000 per round), BENCH_INSTR_ROUNDS (3), BENCH_INSTR_CONCURRENCY (8),
 * BENCH_INSTR_KEEP_DUMPS (1: keep callgrind's dumps), BENCH_LABEL (suffix of the result file).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BenchOperation, WorkloadOptions, WorkloadSetup } from './harness';
import { median } from './harness';
import { requestBody } from './operations';
import { stopPinnedOnSignals } from './processes';
import { isOurs, ROOT, ROUTER_LABELS, type RouterUnderTest } from './routersUnderTest';
import { setUpWorkloadA } from './workloadA/workload';
import { setUpWorkloadB } from './workloadB/workload';

const RESULTS = resolve(ROOT, 'bench', 'results');

function count(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

const log = (line: string) => process.stdout.write(`${line}\n`);

/** Sends `total` requests, `concurrency` at a time; throws on the first answer that differs from `expected`. */
async function send(router: RouterUnderTest, operation: BenchOperation, total: number, concurrency: number, expected: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const sequence = next++;
      const response = await fetch(router.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...operation.headers },
        body: requestBody(operation.body, sequence),
      });
      const text = await response.text();
      if (response.status !== 200 || text !== expected) throw new Error(`${router.id} answered request ${sequence} differently (${response.status}): ${text.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

function callgrindControl(pid: number, ...args: string[]): void {
  execFileSync('callgrind_control', [...args, String(pid)], { stdio: 'ignore', timeout: 120_000 });
}

/** Dumps the counters of `pid` and reads the instructions executed since they were zeroed. */
async function dumpedInstructions(dir: string, router: RouterUnderTest, pid: number): Promise<number> {
  const prefix = `${router.id}.${pid}.`;
  const before = new Set(readdirSync(dir).filter((name) => name.startsWith(prefix)));
  callgrindControl(pid, '-d');
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const fresh = readdirSync(dir).find((name) => name.startsWith(prefix) && !before.has(name));
    if (fresh) {
      const path = resolve(dir, fresh);
      // The dump is complete once its summary line is there.
      const summary = /^(?:summary|totals): (\d+)/m.exec(readFileSync(path, 'utf8'));
      if (summary && statSync(path).size > 0) return Number(summary[1]);
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`callgrind wrote no dump for ${router.id} (${pid})`);
}

interface VariantCount {
  readonly router: string;
  readonly label: string;
  /** Instructions per request, one per round. */
  readonly rounds: number[];
  readonly perRequest: number;
}

async function measure(setup: WorkloadSetup, operation: BenchOperation, dir: string): Promise<VariantCount[]> {
  const warmup = count('BENCH_INSTR_WARMUP', 3000);
  const requests = count('BENCH_INSTR_REQUESTS', 1000);
  const rounds = count('BENCH_INSTR_ROUNDS', 3);
  const concurrency = count('BENCH_INSTR_CONCURRENCY', 8);
  if (operation.body.kind !== 'fixed') throw new Error(`${operation.id}: only operations with a fixed body are counted`);
  const first = setup.routers[0] as RouterUnderTest;
  const reference = await fetch(first.url, { method: 'POST', headers: { 'content-type': 'application/json', ...operation.headers }, body: operation.body.json });
  const expected = await reference.text();
  if (reference.status !== 200 || !expected.includes('"data"') || expected.includes('"errors"')) throw new Error(`reference answer for ${operation.id} is not clean: ${expected.slice(0, 300)}`);
  const results: VariantCount[] = [];
  for (const router of setup.routers) {
    const pid = router.pids()[0] as number;
    log(`  ${operation.id} ${router.id}: ${warmup} warm-up requests (not counted)…`);
    await send(router, operation, warmup, concurrency, expected);
    callgrindControl(pid, '-i', 'on');
    const perRound: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      callgrindControl(pid, '-z');
      await send(router, operation, requests, concurrency, expected);
      const instructions = await dumpedInstructions(dir, router, pid);
      perRound.push(instructions / requests);
      log(`    round ${round + 1} ${router.id.padEnd(16)} ${(instructions / requests / 1000).toFixed(1)} k instructions/request`);
    }
    callgrindControl(pid, '-i', 'off');
    results.push({ router: router.id, label: ROUTER_LABELS[router.id], rounds: perRound, perRequest: median(perRound) });
  }
  return results;
}

function toMarkdown(workload: WorkloadSetup, operation: BenchOperation, counts: readonly VariantCount[]): string {
  const base = counts[0] as VariantCount;
  const thousands = (value: number) => (value / 1000).toFixed(1);
  const lines = [
    `# Instructions per request: ${workload.title}, \`${operation.id}\``,
    '',
    `${operation.title}. Counted by callgrind in each router process over ${count('BENCH_INSTR_ROUNDS', 3)} rounds of ` +
      `${count('BENCH_INSTR_REQUESTS', 1000)} requests (${count('BENCH_INSTR_CONCURRENCY', 8)} at a time) after ` +
      `${count('BENCH_INSTR_WARMUP', 3000)} warm-up requests; every answer byte-identical to the verified one. ` +
      'All threads of the process are counted (GC helpers, the exporter). Made by `npm run bench:instructions` on ' +
      `${new Date().toISOString().slice(0, 10)}.`,
    '',
    `| router | k instructions / request (median) | rounds | vs ${base.router} |`,
    '|---|---:|---|---:|',
    ...counts.map((entry) => {
      const change = ((entry.perRequest / base.perRequest - 1) * 100).toFixed(1);
      return `| ${entry.router} (${entry.label}) | ${thousands(entry.perRequest)} | ${entry.rounds.map(thousands).join(', ')} | ${entry === base ? '—' : `${Number(change) >= 0 ? '+' : ''}${change} %`} |`;
    }),
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  stopPinnedOnSignals();
  const dir = resolve(RESULTS, 'tmp', `callgrind-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  process.env.BENCH_CALLGRIND_DIR = dir;
  process.env.BENCH_ROUTERS ??= 'ours-bare,ours-metrics,ours-traced-1';
  for (const id of process.env.BENCH_ROUTERS.split(',')) {
    if (!isOurs(id.trim())) throw new Error(`BENCH_ROUTERS: only our variants run under callgrind, not "${id}"`);
  }
  const workloads = (process.env.BENCH_WORKLOADS ?? 'A').split(',').map((name) => name.trim().toUpperCase());
  const only = (process.env.BENCH_OPERATIONS ?? 'lookup').split(',').map((id) => id.trim());
  const label = process.env.BENCH_LABEL ? `-${process.env.BENCH_LABEL.replace(/[^a-z0-9-]/gi, '')}` : '';
  const common: Omit<WorkloadOptions, 'cpuProfileDir'> = { routerCore: 0, serviceCore: 1, mode: 'replay', workDir: resolve(RESULTS, 'tmp') };
  const sections: string[] = [];
  try {
    for (const workload of workloads) {
      log(`workload ${workload}: starting subgraphs, proxy and routers under callgrind (minutes)…`);
      const setup = workload === 'A' ? await setUpWorkloadA(common) : workload === 'B' ? await setUpWorkloadB(common) : undefined;
      if (!setup) throw new Error(`unknown workload "${workload}" (A or B)`);
      try {
        for (const operation of setup.operations.filter((entry) => only.includes(entry.id))) {
          const counts = await measure(setup, operation, dir);
          sections.push(toMarkdown(setup, operation, counts));
          log(sections[sections.length - 1] as string);
        }
      } finally {
        await setup.stop();
      }
    }
    writeFileSync(resolve(RESULTS, `instructions${label}.md`), sections.join('\n'));
  } finally {
    // BENCH_INSTR_KEEP_DUMPS=1 keeps callgrind's dumps for callgrind_annotate (native code by
    // function: GC, V8's runtime, libuv; JIT code shows as addresses).
    if (process.env.BENCH_INSTR_KEEP_DUMPS === '1') log(`callgrind dumps kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
