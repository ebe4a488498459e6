/**
 * One measured load against one target, in its own process (pinned by the harness to the core
 * the router under test does not use). Warm-up first, not counted; then the measured run,
 * bracketed by readings of the targets' CPU time from /proc so CPU per request covers
 * exactly the measured window.
 * Usage: node loadWorker.js <LoadSpec as JSON>; prints one LoadResult as JSON.
 */
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
}

export interface LoadResult {
  readonly requests: number;
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
}

/** Sequence numbers run on across warm-up and measurement, so no generated body repeats. */
let sequence = 0;

function run(spec: LoadSpec, seconds: number): Promise<autocannon.Result> {
  const expected = spec.expectedResponse;
  const verifyBody = (body: autocannon.Request['body']): boolean => {
    const text = typeof body === 'string' ? body : (body?.toString('utf8') ?? '');
    return expected ? text === expected : text.startsWith('{"data":') && !text.includes('"errors":');
  };
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
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false, outputStream: process.stderr });
  });
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
  if (spec.warmupSeconds > 0) await run(spec, spec.warmupSeconds);
  const cpuBefore = cpuMsOf(spec.pids);
  const result = await run(spec, spec.seconds);
  const cpuAfter = cpuMsOf(spec.pids);
  const requests = result.requests.total;
  const output: LoadResult = {
    requests,
    rps: requests / spec.seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    wrong: result.mismatches,
    transportErrors: result.errors,
    timeouts: result.timeouts,
    cpuMsPerRequest: spec.pids.length > 0 && requests > 0 ? (cpuAfter - cpuBefore) / requests : null,
    rssMb: spec.pids.length > 0 ? rssMbOf(spec.pids) : null,
  };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
