/**
 * Sends a fixed number of requests over a fixed number of keep-alive connections, each timed
 * from the first byte written to the last byte read, and checks every answer. Bodies are made
 * (and encoded) before their clock starts, so a 500 kB text costs the client nothing measured.
 */
import { Agent, request as httpRequest } from 'node:http';
import type { Answer } from './cases';

export interface DriveSpec {
  readonly url: string;
  readonly requests: number;
  readonly connections: number;
  /** The body of the n-th request of this run. */
  body(sequence: number): Buffer;
  /** Why an answer is wrong, or null. */
  check(answer: Answer): string | null;
}

export interface Driven {
  readonly latenciesMs: readonly number[];
  readonly wallMs: number;
  readonly wrong: number;
  readonly transportErrors: number;
  /** The first few reasons, for the log. */
  readonly wrongSamples: readonly string[];
}

function post(agent: Agent, url: URL, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const call = httpRequest(
      {
        agent,
        hostname: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    call.setTimeout(30_000, () => call.destroy(new Error('no answer within 30 s')));
    call.on('error', reject);
    call.end(body);
  });
}

export async function drive(spec: DriveSpec): Promise<Driven> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
  const url = new URL(spec.url);
  const latenciesMs: number[] = [];
  const wrongSamples: string[] = [];
  let wrong = 0;
  let transportErrors = 0;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < spec.requests) {
      const body = spec.body(next);
      next += 1;
      const started = performance.now();
      try {
        const { status, text } = await post(agent, url, body);
        latenciesMs.push(performance.now() - started);
        let reason: string | null;
        try {
          reason = spec.check({ status, body: JSON.parse(text) as Answer['body'] });
        } catch {
          reason = `HTTP ${status}, not JSON: ${text.slice(0, 200)}`;
        }
        if (reason !== null) {
          wrong += 1;
          if (wrongSamples.length < 3) wrongSamples.push(reason);
        }
      } catch (error) {
        transportErrors += 1;
        if (wrongSamples.length < 3) wrongSamples.push(`transport: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: spec.connections }, lane));
  } finally {
    agent.destroy();
  }
  return { latenciesMs, wallMs: performance.now() - started, wrong, transportErrors, wrongSamples };
}

/** The value below which `fraction` of the samples lie (nearest rank). */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] as number;
}
