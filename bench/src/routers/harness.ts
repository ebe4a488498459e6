/**
 * Runs one workload: checks that every router answers each operation with the expected data,
 * then measures the floor and the routers in alternating rounds and reduces to medians.
 */
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { findFreePort, startRedisServer } from '@booking/infra';
import type { LoadResult, LoadSpec } from './loadWorker';
import { requestBody, SLOTS_PER_RUN, type Operation } from './operations';
import { mergeIncremental } from './incrementalResponse';
import type { RecordedRequest } from './replayProxy';
import { profiledVariant, type RouterId, type RouterUnderTest } from './routersUnderTest';

export type TargetId = RouterId | 'floor';

export interface BenchOperation extends Operation {
  readonly headers: Readonly<Record<string, string>>;
  /** Measure the floor: the one subgraph request this operation makes, sent straight to the subgraph. */
  readonly floor: boolean;
  /** Latency rather than throughput: one request at a time (see LoadSpec.sequential). */
  readonly sequential?: boolean;
  /**
   * For an operation answered incrementally (`@defer`): the request the reference router gets
   * instead, the same selection without `@defer`; each router's parts, merged, must give its data.
   */
  readonly referenceJson?: string;
  /** Measured only when BENCH_OPERATIONS names it (it changes how a peer is configured). */
  readonly optIn?: boolean;
}

export interface WorkloadSetup {
  readonly id: string;
  readonly title: string;
  readonly proxyUrl: string;
  readonly routers: readonly RouterUnderTest[];
  /** Peers that did not start, with why: every operation reports them as not measured. */
  readonly notStarted: ReadonlyMap<RouterId, string>;
  readonly operations: readonly BenchOperation[];
  /** Extra facts for the report (data sizes, mode). */
  readonly facts: Readonly<Record<string, string | number>>;
  stop(): Promise<void>;
}

/** Where and how a workload's processes run. */
export interface WorkloadOptions {
  readonly routerCore: number;
  readonly serviceCore: number;
  readonly mode: 'replay' | 'live';
  readonly workDir: string;
  readonly cpuProfileDir?: string;
}

/** What undoes a workload's setup, step by step, last step first. */
export class Teardown {
  private readonly steps: (() => Promise<void>)[] = [];

  add(step: () => Promise<void>): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step();
  }
}

/**
 * The Redis a workload uses: REDIS_URL when set, else a redis-server of its own (stopped by
 * the teardown), so the benchmark runs on a machine with nothing started.
 */
export async function workloadRedis(teardown: Teardown, dataDir: string): Promise<string> {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  const redis = await startRedisServer({ port: await findFreePort(), dir: dataDir, appendOnly: false });
  teardown.add(() => redis.stop());
  return redis.url;
}

export interface HarnessOptions {
  readonly rounds: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly connections: number;
  readonly loadCore: number;
  /** BENCH_FRESH_ROUTERS: each router measured in a round is a new process (see RouterUnderTest.restart). */
  readonly freshRouters: boolean;
  /**
   * BENCH_SIDE_BY_SIDE: each round loads every router at the same time, all sharing the router
   * core, instead of one after the other. This machine's speed moves by ±30 % within seconds
   * (a shared host), which drowns a feature's few per cent when the variants are measured at
   * different moments; run together, they meet the same moments, and the ratio of their CPU per
   * request (each process's own CPU time over its own requests) keeps only what differs between
   * them. Absolute RPS then means nothing (the core is shared); the floor is not measured, and
   * subgraph calls are not counted (the proxy cannot tell the routers' calls apart).
   */
  readonly sideBySide: boolean;
}

export interface TargetSummary {
  readonly target: TargetId;
  /** Why the target was not measured (it did not start, or answered wrongly), if it was not. */
  readonly skipped: string | null;
  readonly rounds: readonly LoadResult[];
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuMsPerRequest: number | null;
  readonly rssMb: number | null;
  /** Subgraph requests per client request sent, over all measured rounds (the proxy counts them). */
  readonly subgraphCallsPerRequest: number | null;
  readonly wrong: number;
  readonly non2xx: number;
  readonly transportErrors: number;
}

export interface OperationSummary {
  readonly id: string;
  readonly title: string;
  readonly targets: readonly TargetSummary[];
}

interface Target {
  readonly id: TargetId;
  readonly url: string;
  readonly body: Operation['body'];
  readonly expectedResponse: string | null;
  readonly pids: () => number[];
  /** A fresh process for a router (see RouterUnderTest.restart); none for the floor. */
  readonly restart?: () => Promise<void>;
}

interface GraphQLResponse {
  data?: unknown;
  errors?: readonly unknown[];
}

async function post(url: string, body: string, headers: Readonly<Record<string, string>>): Promise<{ status: number; text: string; contentType: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, text: await response.text(), contentType: response.headers.get('content-type') ?? '' };
}

/** A response's result: the JSON body, or an incremental (multipart) one's parts merged. */
function parseResponse(text: string, contentType = 'application/json'): GraphQLResponse {
  if (/^multipart\/mixed/i.test(contentType)) {
    try {
      const merged = mergeIncremental(text, contentType);
      return { data: merged.data, ...(merged.errors ? { errors: merged.errors } : {}) };
    } catch (error) {
      return { errors: [`unreadable multipart response: ${(error as Error).message}`] };
    }
  }
  try {
    return JSON.parse(text) as GraphQLResponse;
  } catch {
    return { errors: [`not JSON: ${text.slice(0, 200)}`] };
  }
}

async function proxyRequests(proxyUrl: string): Promise<RecordedRequest[]> {
  return (await (await fetch(`${proxyUrl}/__bench/requests`)).json()) as RecordedRequest[];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

let slotRuns = 1;
/**
 * createBooking bodies of each load run start at slots no other run uses; never-seen operations
 * of each run are named for it. A load worker's sequence starts at 0 in every run, so with one
 * name for all runs a router kept from an earlier round would meet the same texts again (its
 * gate's verdict cached, its prepared operation maybe evicted): not the never-seen path.
 */
function freshBody(body: Operation['body']): Operation['body'] {
  if (body.kind === 'createBooking') return { ...body, slotBase: SLOTS_PER_RUN * slotRuns++ };
  if (body.kind === 'novel') return { ...body, runId: randomBytes(4).toString('hex') };
  return body;
}

function runLoad(spec: LoadSpec, core: number): Promise<LoadResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('taskset', ['-c', String(core), process.execPath, resolve(__dirname, 'loadWorker.js'), JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`load worker failed (${code}): ${stderr.slice(-2000)}`));
      resolvePromise(JSON.parse(stdout.trim().split('\n').pop() as string) as LoadResult);
    });
  });
}

const subgraphRequestsOf = new Map<string, RecordedRequest[]>();

/** The headers without `accept`: the reference router is asked for a plain JSON answer. */
function withoutAccept(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'accept'));
}

/**
 * Every target answers the operation once before it is measured: with the reference data for a
 * fixed operation (the plain gateway's answer, itself checked to carry no errors), or with
 * data and no errors for a generated one.
 */
async function verifiedTargets(setup: WorkloadSetup, operation: BenchOperation, log: (line: string) => void) {
  const targets: Target[] = [];
  const skipped = new Map<TargetId, string>(setup.notStarted);
  // The plain gateway's answer is the reference; without it in the run, the first router's.
  const reference = (setup.routers.find((router) => router.id === 'apollo') ?? setup.routers[0]) as RouterUnderTest;
  if (operation.body.kind !== 'fixed') {
    for (const router of setup.routers) {
      const { status, text } = await post(router.url, requestBody(freshBody(operation.body), 0), operation.headers);
      const parsed = parseResponse(text);
      if (status !== 200 || !parsed.data || parsed.errors) skipped.set(router.id, `answered ${status}: ${text.slice(0, 300)}`);
      else targets.push({ id: router.id, url: router.url, body: operation.body, expectedResponse: null, pids: router.pids, restart: router.restart });
    }
    return { targets, skipped };
  }
  const seenBefore = (await proxyRequests(setup.proxyUrl)).length;
  const referenceHeaders = operation.referenceJson ? withoutAccept(operation.headers) : operation.headers;
  const expected = parseResponse((await post(reference.url, operation.referenceJson ?? operation.body.json, referenceHeaders)).text);
  if (!expected.data || expected.errors) throw new Error(`reference answer for ${operation.id} is not clean: ${JSON.stringify(expected).slice(0, 500)}`);
  // The proxy lists each distinct subgraph request once: an operation measured twice (throughput,
  // then latency) finds its subgraph requests where the first measurement left them.
  const subgraphRequests = subgraphRequestsOf.get(operation.body.json) ?? (await proxyRequests(setup.proxyUrl)).slice(seenBefore);
  subgraphRequestsOf.set(operation.body.json, subgraphRequests);
  if (operation.floor) {
    const only = subgraphRequests.length === 1 ? subgraphRequests[0] : undefined;
    if (!only) throw new Error(`${operation.id}: a floor needs exactly one subgraph request, the reference made ${subgraphRequests.length}`);
    const url = `${setup.proxyUrl}/${only.subgraph}`;
    const floorAnswer = await post(url, only.body, {});
    targets.push({ id: 'floor', url, body: { kind: 'fixed', json: only.body }, expectedResponse: floorAnswer.text, pids: () => [] });
  }
  for (const router of setup.routers) {
    const { status, text, contentType } = await post(router.url, operation.body.json, operation.headers);
    const parsed = parseResponse(text, contentType);
    if (status === 200 && !parsed.errors && isDeepStrictEqual(parsed.data, expected.data)) {
      // Under load each response must be byte-identical to this verified one.
      targets.push({ id: router.id, url: router.url, body: operation.body, expectedResponse: text, pids: router.pids, restart: router.restart });
    } else {
      skipped.set(router.id, `wrong answer (${status}): ${text.slice(0, 300)}`);
      log(`    ${router.id} answered ${operation.id} wrongly; not measured`);
    }
  }
  return { targets, skipped };
}

function summarise(target: TargetId, rounds: readonly LoadResult[], skipped: string | null): TargetSummary {
  const cpu = rounds.map((round) => round.cpuMsPerRequest).filter((value): value is number => value !== null);
  const rss = rounds.map((round) => round.rssMb).filter((value): value is number => value !== null);
  const counted = rounds.filter((round) => round.subgraphCalls !== null);
  // Over the requests sent: the ones in flight when a run ends have made their subgraph calls.
  const countedRequests = counted.reduce((sum, round) => sum + round.requestsSent, 0);
  return {
    target,
    skipped,
    rounds,
    rps: median(rounds.map((round) => round.rps)),
    p50Ms: median(rounds.map((round) => round.p50Ms)),
    p99Ms: median(rounds.map((round) => round.p99Ms)),
    cpuMsPerRequest: cpu.length > 0 ? median(cpu) : null,
    rssMb: rss.length > 0 ? Math.max(...rss) : null,
    subgraphCallsPerRequest: countedRequests > 0 ? counted.reduce((sum, round) => sum + (round.subgraphCalls ?? 0), 0) / countedRequests : null,
    wrong: rounds.reduce((sum, round) => sum + round.wrong, 0),
    non2xx: rounds.reduce((sum, round) => sum + round.non2xx, 0),
    transportErrors: rounds.reduce((sum, round) => sum + round.transportErrors + round.timeouts, 0),
  };
}

/** Busy fraction of one CPU over `ms`, from /proc/stat. */
async function busyFraction(core: number, ms: number): Promise<number> {
  const read = () => {
    const line = readFileSync('/proc/stat', 'utf8').split('\n').find((entry) => entry.startsWith(`cpu${core} `)) ?? '';
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { idle, total: ticks.reduce((sum, value) => sum + value, 0) };
  };
  const before = read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = read();
  const total = after.total - before.total;
  return total > 0 ? 1 - (after.idle - before.idle) / total : 0;
}

/**
 * Waits (up to a minute) until the service core has calmed down: after createBooking, the
 * subgraphs are still invoicing and publishing events, and the next target would pay for it.
 */
async function settle(core: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if ((await busyFraction(core, 500)) < 0.15) return;
  }
  log(`    core ${core} stayed busy for a minute; measuring anyway`);
}

function loadSpec(setup: WorkloadSetup, target: Target, operation: BenchOperation, options: HarnessOptions, seconds: number, warmupSeconds: number): LoadSpec {
  return {
    url: target.url,
    headers: target.id === 'floor' ? {} : operation.headers,
    body: freshBody(target.body),
    expectedResponse: target.expectedResponse,
    connections: options.connections,
    warmupSeconds,
    seconds,
    pids: target.pids(),
    sequential: operation.sequential === true,
    subgraphStatsUrl: `${setup.proxyUrl}/__bench/stats`,
  };
}

/** One round of BENCH_SIDE_BY_SIDE: every router (not the floor) under load at once, in fresh processes if asked. */
async function measureSideBySide(
  setup: WorkloadSetup,
  targets: readonly Target[],
  operation: BenchOperation,
  options: HarnessOptions,
  round: number,
  results: Map<TargetId, LoadResult[]>,
  log: (line: string) => void,
): Promise<void> {
  const routers = targets.filter((target) => target.id !== 'floor');
  if (options.freshRouters) await Promise.all(routers.map((target) => target.restart?.()));
  await settle(options.loadCore, log);
  const measured = await Promise.all(
    routers.map((target) => runLoad({ ...loadSpec(setup, target, operation, options, options.seconds, options.warmupSeconds), subgraphStatsUrl: null }, options.loadCore)),
  );
  routers.forEach((target, index) => {
    const result = measured[index] as LoadResult;
    results.get(target.id)?.push(result);
    log(
      `    round ${round + 1} ${target.id.padEnd(8)} ${result.rps.toFixed(0).padStart(6)} rps (sharing the core)  cpu ${result.cpuMsPerRequest?.toFixed(3) ?? '-'} ms/req  wrong ${result.wrong}  non2xx ${result.non2xx}`,
    );
  });
}

/** Measured windows of our router's load runs, per operation, for cutting its CPU profile to them. */
export const oursWindows = new Map<string, (readonly [number, number])[]>();

export async function runWorkload(setup: WorkloadSetup, options: HarnessOptions, log: (line: string) => void): Promise<OperationSummary[]> {
  const summaries: OperationSummary[] = [];
  const only = process.env.BENCH_OPERATIONS?.split(',').map((id) => id.trim());
  for (const operation of setup.operations) {
    if (only ? !only.includes(operation.id) : operation.optIn) continue;
    log(`  ${operation.id}: ${operation.title}`);
    const { targets, skipped } = await verifiedTargets(setup, operation, log);
    const results = new Map<TargetId, LoadResult[]>(targets.map((target) => [target.id, []]));
    // Every target warms up once before any is measured, so whoever goes first in round 1 does
    // not also pay for warming the shared subgraphs, proxy and database.
    for (const target of targets) {
      await settle(options.loadCore, log);
      await runLoad(loadSpec(setup, target, operation, options, options.warmupSeconds, 0), options.loadCore);
    }
    for (let round = 0; round < options.rounds; round += 1) {
      if (options.sideBySide) {
        await measureSideBySide(setup, targets, operation, options, round, results, log);
        continue;
      }
      // Alternate who goes first, so drift over the run (heat, caches) spreads evenly.
      const order = targets.map((_, index) => targets[(index + round) % targets.length] as Target);
      for (const target of order) {
        // A fresh process per round: its warm-up (below) is its JIT's only one.
        if (options.freshRouters && target.restart) await target.restart();
        await settle(options.loadCore, log);
        const result = await runLoad(loadSpec(setup, target, operation, options, options.seconds, options.warmupSeconds), options.loadCore);
        results.get(target.id)?.push(result);
        if (target.id === profiledVariant()) oursWindows.set(operation.id, [...(oursWindows.get(operation.id) ?? []), result.windowUs]);
        log(
          `    round ${round + 1} ${target.id.padEnd(8)} ${result.rps.toFixed(0).padStart(6)} rps  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms` +
            `  cpu ${result.cpuMsPerRequest?.toFixed(3) ?? '-'} ms/req  subgraph calls/req ${result.subgraphCalls !== null && result.requestsSent > 0 ? (result.subgraphCalls / result.requestsSent).toFixed(2) : '-'}  wrong ${result.wrong}  non2xx ${result.non2xx}`,
        );
      }
    }
    summaries.push({
      id: operation.id,
      title: operation.title,
      targets: [
        ...targets.map((target) => summarise(target.id, results.get(target.id) ?? [], null)),
        ...[...skipped].map(([target, reason]) => summarise(target, [], reason)),
      ],
    });
  }
  return summaries;
}
