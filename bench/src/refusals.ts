/**
 * `npm run bench:refusals`: how fast our router refuses the hostile requests of issue 10 (the
 * 10,000-alias request, depth 50, 200,000 tokens, a cost too high), with a valid cheap query
 * for contrast, on the real router (production profile, default limits) over the real
 * subgraphs. Each case is sent as a text never seen before (the gate's cache misses, as when an
 * attacker varies the text) and as one text repeated (its cached verdict), over 1 and then 8
 * keep-alive connections, after a warm-up. Every answer must have its status and code, and the
 * subgraphs must receive no request while a hostile case runs (a counting proxy sits in front
 * of them). Writes bench/results/refusals.{json,md}; exits non-zero on a wrong answer, a
 * subgraph call during a hostile case, or a 10,000-alias p99 of 50 ms or more on one connection.
 *
 * Settings (environment): BENCH_REFUSAL_REQUESTS (500 per run), BENCH_REFUSAL_CONNECTIONS (1,8),
 * BENCH_REFUSAL_WARMUP (100 requests per case, not measured), BENCH_REFUSAL_CASES (ids, all by
 * default), BENCH_CPU_PROFILE=1 (profile the router; summarised into
 * bench/results/profile-refusals.md), DATABASE_URL and REDIS_URL (else embedded ones).
 * Everything binds to 127.0.0.1; every run is a fixed number of requests.
 */
import { execSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { CASES, wrongness, type RefusalCase } from './refusals/cases';
import { drive, percentile } from './refusals/drive';
import { startRefusalStack, type RefusalStack } from './refusals/stack';
import { stopPinnedOnSignals } from './routers/processes';
import { cpuMsOf } from './routers/procStats';
import { summariseProfiles } from './routers/profileSummary';
import { ROOT } from './routers/routersUnderTest';

const RESULTS = resolve(ROOT, 'bench', 'results');
/** Issue 10: refusing the 10,000-alias request, p99 under 50 ms. */
const ALIAS_CASE = 'aliases-10000';
const P99_BUDGET_MS = 50;
const ROUTER_CORE = 0;
const LOAD_CORE = 1;

type TextSeen = 'first time' | 'repeated';

interface RunResult {
  readonly caseId: string;
  readonly seen: TextSeen;
  readonly connections: number;
  readonly requestBytes: number;
  readonly expected: string;
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly rps: number;
  readonly routerCpuMsPerRequest: number;
  readonly subgraphRequests: number;
  readonly wrong: number;
  readonly transportErrors: number;
  readonly wrongSamples: readonly string[];
}

function numberSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number, got "${raw}"`);
  return value;
}

const bodyOf = (query: string): Buffer => Buffer.from(JSON.stringify({ query }), 'utf8');
const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

async function measure(stack: RefusalStack, refusalCase: RefusalCase, seen: TextSeen, connections: number, requests: number, runTag: string): Promise<RunResult> {
  const repeated = bodyOf(refusalCase.text('same'));
  const body = seen === 'repeated' ? () => repeated : (sequence: number) => bodyOf(refusalCase.text(`${runTag}_${connections}_${sequence}`));
  const subgraphsBefore = await stack.subgraphRequests();
  const cpuBefore = cpuMsOf([stack.routerPid]);
  const driven = await drive({ url: stack.routerUrl, requests, connections, body, check: (answer) => wrongness(refusalCase, answer) });
  const cpuAfter = cpuMsOf([stack.routerPid]);
  const subgraphRequests = (await stack.subgraphRequests()) - subgraphsBefore;
  const sorted = [...driven.latenciesMs].sort((a, b) => a - b);
  const { status, code } = refusalCase.expected;
  return {
    caseId: refusalCase.id,
    seen,
    connections,
    requestBytes: body(0).length,
    expected: `${status}${code ? ` ${code}` : ''}`,
    requests: sorted.length,
    p50Ms: round(percentile(sorted, 0.5), 2),
    p99Ms: round(percentile(sorted, 0.99), 2),
    maxMs: round(sorted[sorted.length - 1] ?? Number.NaN, 2),
    rps: round(sorted.length / (driven.wallMs / 1000), 0),
    routerCpuMsPerRequest: round((cpuAfter - cpuBefore) / Math.max(1, sorted.length), 2),
    subgraphRequests,
    wrong: driven.wrong,
    transportErrors: driven.transportErrors,
    wrongSamples: driven.wrongSamples,
  };
}

/**
 * Why the run fails, one line per reason; empty when it passes. The 50 ms budget is the latency
 * of refusing one request, so it applies to the runs on one connection: with n connections on
 * the router's one core a request also waits for the n − 1 others (p50 ≈ n × CPU per request),
 * which the report shows beside it as what a concurrent attacker costs.
 */
function failures(results: readonly RunResult[]): string[] {
  const reasons: string[] = [];
  for (const result of results) {
    const where = `${result.caseId} (${result.seen}, ${result.connections} connection${result.connections > 1 ? 's' : ''})`;
    if (result.wrong > 0 || result.transportErrors > 0) {
      reasons.push(`${where}: ${result.wrong} wrong answers, ${result.transportErrors} transport errors: ${result.wrongSamples.join('; ')}`);
    }
    const hostile = CASES.find((candidate) => candidate.id === result.caseId)?.hostile ?? true;
    if (hostile && result.subgraphRequests > 0) reasons.push(`${where}: the subgraphs received ${result.subgraphRequests} requests`);
    if (result.caseId === ALIAS_CASE && result.connections === 1 && !(result.p99Ms < P99_BUDGET_MS)) {
      reasons.push(`${where}: p99 ${result.p99Ms} ms, not under ${P99_BUDGET_MS} ms`);
    }
  }
  return reasons;
}

interface Report {
  readonly when: string;
  readonly commit: string;
  readonly machine: string;
  /** The machine's 1-minute load average before and after: other work on the cores skews latency, not CPU per request. */
  readonly loadAverage: { readonly before: number; readonly after: number };
  readonly settings: Readonly<Record<string, number | string>>;
  readonly results: readonly RunResult[];
  readonly failures: readonly string[];
}

function toMarkdown(report: Report): string {
  const caseTitle = (id: string) => CASES.find((candidate) => candidate.id === id)?.title ?? id;
  const lines = [
    `# Refusing hostile requests (${report.when})`,
    '',
    `Commit ${report.commit}, ${report.machine}, load average ${report.loadAverage.before} before and ${report.loadAverage.after} after. Our router alone on core ${ROUTER_CORE} (taskset), \`NODE_ENV=production\`, default limits;`,
    `the four subgraphs (PostgreSQL, demo data), a counting pass-through proxy in front of them and this load generator on core ${LOAD_CORE}.`,
    `Per case: ${report.settings.warmup} warm-up requests, then ${report.settings.requests} requests per run. Latency is the client's, first byte sent to last byte read;`,
    '"first time" sends a text the router has never seen (the operation gate\'s cache misses: what an attacker varying the text costs), "repeated" one text again and again (its cached verdict).',
    'CPU is the router process\'s (user + system, from /proc) per request; "subgraph requests" is what reached the subgraphs during the run.',
    `The ${P99_BUDGET_MS} ms budget applies to the 10,000-alias request on one connection (the latency of one refusal); with more connections the router's one core also queues them (p50 ≈ connections × CPU per request).`,
    '',
    '| case | text | connections | request bytes | answer | p50 ms | p99 ms | max ms | RPS | router CPU ms/request | subgraph requests | wrong |',
    '|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|',
    ...report.results.map(
      (r) =>
        `| ${r.caseId} | ${r.seen} | ${r.connections} | ${r.requestBytes.toLocaleString('en')} | ${r.expected} | ${r.p50Ms} | ${r.p99Ms} | ${r.maxMs} | ${r.rps} | ${r.routerCpuMsPerRequest} | ${r.subgraphRequests} | ${r.wrong + r.transportErrors} |`,
    ),
    '',
    'Cases:',
    ...[...new Set(report.results.map((r) => r.caseId))].map((id) => `- \`${id}\`: ${caseTitle(id)}`),
    '',
    report.failures.length === 0
      ? `Verdict: pass. Every answer had its status and code, no hostile request reached a subgraph, and refusing the 10,000-alias request one at a time has a p99 under ${P99_BUDGET_MS} ms (new texts and repeated ones).`
      : `Verdict: FAIL.\n${report.failures.map((reason) => `- ${reason}`).join('\n')}`,
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  stopPinnedOnSignals();
  if (cpus().length < 2) throw new Error('the benchmark pins the router to one core and the load to another: it needs 2 cores');
  const requests = numberSetting('BENCH_REFUSAL_REQUESTS', 500);
  const warmup = numberSetting('BENCH_REFUSAL_WARMUP', 100);
  const connectionCounts = (process.env.BENCH_REFUSAL_CONNECTIONS ?? '1,8').split(',').map((raw) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new Error(`BENCH_REFUSAL_CONNECTIONS holds "${raw}", not a positive whole number`);
    return value;
  });
  const wanted = process.env.BENCH_REFUSAL_CASES?.split(',').map((id) => id.trim());
  const cases = wanted ? CASES.filter((candidate) => wanted.includes(candidate.id)) : CASES;
  if (cases.length === 0) throw new Error(`BENCH_REFUSAL_CASES names no case; the cases are ${CASES.map((c) => c.id).join(', ')}`);
  const profile = process.env.BENCH_CPU_PROFILE === '1';
  const log = (line: string) => process.stdout.write(`${line}\n`);

  // This process is the load generator: off the router's core, like the subgraphs.
  spawnSync('taskset', ['-a', '-p', '-c', String(LOAD_CORE), String(process.pid)], { stdio: 'ignore' });
  mkdirSync(RESULTS, { recursive: true });
  const cpuProfileDir = profile ? resolve(RESULTS, 'tmp', `profile-refusals-${Date.now()}`) : undefined;
  const loadBefore = round(loadavg()[0] ?? 0, 2);
  log('starting the subgraphs, the counting proxy and the router…');
  const stack = await startRefusalStack({ routerCore: ROUTER_CORE, serviceCore: LOAD_CORE, cpuProfileDir });
  const results: RunResult[] = [];
  const windows = new Map<string, [number, number][]>();
  const runTag = randomBytes(3).toString('hex');
  try {
    for (const refusalCase of cases) {
      // Warm-up: new texts (JIT, the gate's code paths), then the repeated text's first sight.
      await measure(stack, refusalCase, 'first time', 1, warmup, `w${runTag}`);
      await measure(stack, refusalCase, 'repeated', 1, 1, runTag);
      for (const seen of ['first time', 'repeated'] as const) {
        for (const connections of connectionCounts) {
          const startUs = Number(process.hrtime.bigint() / 1000n);
          const result = await measure(stack, refusalCase, seen, connections, requests, runTag);
          const window: [number, number] = [startUs, Number(process.hrtime.bigint() / 1000n)];
          windows.set(`${refusalCase.id}, ${seen}`, [...(windows.get(`${refusalCase.id}, ${seen}`) ?? []), window]);
          results.push(result);
          log(JSON.stringify({ ...result, wrongSamples: result.wrongSamples.length > 0 ? result.wrongSamples : undefined }));
        }
      }
    }
  } finally {
    await stack.stop();
  }

  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  const report: Report = {
    when: new Date().toISOString(),
    commit,
    machine: `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), Node ${process.version}`,
    loadAverage: { before: loadBefore, after: round(loadavg()[0] ?? 0, 2) },
    settings: { requests, warmup, connections: connectionCounts.join(','), p99BudgetMs: P99_BUDGET_MS },
    results,
    failures: failures(results),
  };
  writeFileSync(resolve(RESULTS, 'refusals.json'), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = toMarkdown(report);
  writeFileSync(resolve(RESULTS, 'refusals.md'), markdown);
  log(`\n${markdown}`);
  if (cpuProfileDir) {
    const summary = [...windows].map(([title, spans]) => summariseProfiles(cpuProfileDir, 15, spans, title)).join('\n');
    writeFileSync(resolve(RESULTS, 'profile-refusals.md'), summary);
    log(summary);
  }
  if (report.failures.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
