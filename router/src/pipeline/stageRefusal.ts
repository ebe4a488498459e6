import type { ServerResponse } from 'node:http';

/**
 * A request a pipeline stage answers itself instead of letting it run: its HTTP status, a
 * coded GraphQL error (with what the client needs to fix it in `extensions`), and headers
 * (Retry-After, RateLimit-*, Cache-Control).
 */
export interface StageRefusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;
}

export function sendStageRefusal(response: ServerResponse, refusal: StageRefusal): void {
  const body = JSON.stringify({ errors: [{ message: refusal.message, extensions: { code: refusal.code, ...refusal.extensions } }] });
  response.writeHead(refusal.status, {
    ...refusal.headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}
