/**
 * One measured load against one target, in its own process (pinned by the harness to the core
 * the router under test does not use). Warm-up first, not counted; then the measured run,
 * bracketed by readings of the targets' CPU time from /proc so CPU per request covers
 * exactly the measured window.
 * Usage: node loadWorker.js <LoadSpec as JSON>; prints one LoadResult as JSON.
 */
import { Agent, request as httpRequest } from 'node:http';
import autocannon from 'autocannon';
import { requestBody, type OperationBody } from './operations';
import { cpuMsOf, rssMbOf } from './procStats';

export interface LoadSpec {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: OperationBody;
  /** For fixed bodies: the exact response every request must get. */
  readonly expectedResponse: string | null;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  /** Processes whose CPU and memory count as the target's (a router and its workers). */
  readonly pids: readonly number[];
  /**
   * One request at a time on one keep-alive connection, each timed to the microsecond:
   * for latency overhead, which autocannon's whole-millisecond histogram cannot show.
   */
  readonly sequential: boolean;
  /**
   * The replay proxy's counters (`/__bench/stats`), read just before and after the measured run:
   * every subgraph request a router makes passes the proxy, so their difference over the
   * requests sent is the subgraph calls per request (what the entity cache saves).
   */
  readonly subgraphStatsUrl: string | null;
}

export interface LoadResult {
  /** Responses received. */
  readonly requests: number;
  /** Requests sent, the ones still in flight when the run ended included (their subgraph calls are counted). */
  readonly requestsSent: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  /** Responses that were not the expected data, or carried GraphQL errors. */
  readonly wrong: number;
  readonly transportErrors: number;
  readonly timeouts: number;
  readonly cpuMsPerRequest: number | null;
  readonly rssMb: number | null;
  /** Subgraph requests the proxy received during the measured run (null without a proxy). */
  readonly subgraphCalls: number | null;
  /** The measured window on the machine's monotonic clock (µs), as V8 CPU profiles stamp samples. */
  readonly windowUs: readonly [number, number];
}

/** Sequence numbers run on across warm-up and measurement, so no generated body repeats. */
let sequence = 0;

/** A right answer: the verified response exactly, or for generated bodies data without errors. */
function isRightAnswer(text: string, expected: string | null): boolean {
  return expected ? text === expected : text.startsWith('{"data":') && !text.includes('"errors":');
}

/** What one run saw; CPU, memory and the window are added around the measured run. */
type Observed = Omit<LoadResult, 'rps' | 'cpuMsPerRequest' | 'rssMb' | 'subgraphCalls' | 'windowUs'>;

/** Subgraph requests the replay proxy has received so far (answered from memory or forwarded). */
async function subgraphRequestsSoFar(statsUrl: string | null): Promise<number | null> {
  if (!statsUrl) return null;
  const stats = (await (await fetch(statsUrl)).json()) as { hits: number; misses: number };
  return stats.hits + stats.misses;
}

function runAutocannon(spec: LoadSpec, seconds: number): Promise<Observed> {
  const verifyBody = (body: autocannon.Request['body']): boolean =>
    isRightAnswer(typeof body === 'string' ? body : (body?.toString('utf8') ?? ''), spec.expectedResponse);
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        method: 'POST',
        connections: spec.connections,
        duration: seconds,
        timeout: 10,
        headers: { 'content-type': 'application/json', ...spec.headers },
        verifyBody,
        // A fixed body is built once; only generated bodies pay for a setupRequest per request.
        ...(spec.body.kind === 'fixed'
          ? { body: spec.body.json }
          : { requests: [{ setupRequest: (request: autocannon.Request) => ({ ...request, body: requestBody(spec.body, sequence++) }) }] }),
      },
      (error, result) =>
        error
          ? reject(error)
          : resolve({
              requests: result.requests.total,
              requestsSent: result.requests.sent,
              p50Ms: result.latency.p50,
              p99Ms: result.latency.p99,
              non2xx: result.non2xx,
              wrong: result.mismatches,
              transportErrors: result.errors,
              timeouts: result.timeouts,
            }),
    );
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false, outputStream: process.stderr });
  });
}

function postOnce(agent: Agent, url: URL, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const call = httpRequest(
      { agent, hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    call.on('error', reject);
    call.end(body);
  });
}

async function runSequential(spec: LoadSpec, seconds: number): Promise<Observed> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(spec.url);
  const headers = { 'content-type': 'application/json', ...spec.headers };
  const latenciesMs: number[] = [];
  let non2xx = 0;
  let wrong = 0;
  let transportErrors = 0;
  const deadline = performance.now() + seconds * 1000;
  try {
    while (performance.now() < deadline) {
      const body = requestBody(spec.body, sequence++);
      const started = performance.now();
      try {
        const { status, text } = await postOnce(agent, url, headers, body);
        latenciesMs.push(performance.now() - started);
        if (status < 200 || status >= 300) non2xx += 1;
        else if (!isRightAnswer(text, spec.expectedResponse)) wrong += 1;
      } catch {
        transportErrors += 1;
      }
    }
  } finally {
    agent.destroy();
  }
  const sorted = latenciesMs.sort((a, b) => a - b);
  const at = (fraction: number) => (sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] as number));
  return { requests: sorted.length, requestsSent: sorted.length + transportErrors, p50Ms: at(0.5), p99Ms: at(0.99), non2xx, wrong, transportErrors, timeouts: 0 };
}

async function measure(spec: LoadSpec, observe: (seconds: number) => Promise<Observed>): Promise<LoadResult> {
  if (spec.warmupSeconds > 0) await observe(spec.warmupSeconds);
  const callsBefore = await subgraphRequestsSoFar(spec.subgraphStatsUrl);
  const cpuBefore = cpuMsOf(spec.pids);
  const startUs = Number(process.hrtime.bigint() / 1000n);
  const observed = await observe(spec.seconds);
  const endUs = Number(process.hrtime.bigint() / 1000n);
  const cpuAfter = cpuMsOf(spec.pids);
  const callsAfter = await subgraphRequestsSoFar(spec.subgraphStatsUrl);
  return {
    ...observed,
    rps: observed.requests / spec.seconds,
    cpuMsPerRequest: spec.pids.length > 0 && observed.requests > 0 ? (cpuAfter - cpuBefore) / observed.requests : null,
    rssMb: spec.pids.length > 0 ? rssMbOf(spec.pids) : null,
    subgraphCalls: callsBefore !== null && callsAfter !== null ? callsAfter - callsBefore : null,
    windowUs: [startUs, endUs],
  };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
  const result = await measure(spec, (seconds) => (spec.sequential ? runSequential(spec, seconds) : runAutocannon(spec, seconds)));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
