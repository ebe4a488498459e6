import { get } from 'node:http';

/** The most of a refusal's body worth repeating in a log line (a health check's JSON fits). */
const BODY_EXCERPT_CHARS = 300;

/**
 * One GET of a service's health or readiness URL: resolves on a 2xx answer, rejects with why
 * not (the connection error, or the status and the start of the body), which the launcher shows
 * when a service never becomes ready.
 *
 * `node:http`, not `fetch`: fetch refuses the ports of the WHATWG "bad ports" list (6000, 6665–
 * 6669, 10080, …) with "bad port" before connecting, and a service may well listen on one.
 */
export function probe(url: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = get(url, { timeout: timeoutMs }, (response) => {
      const status = response.statusCode ?? 0;
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (body.length < BODY_EXCERPT_CHARS) body += chunk;
      });
      response.on('end', () => {
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(`HTTP ${status}${body ? `: ${body.slice(0, BODY_EXCERPT_CHARS).trim()}` : ''}`));
      });
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}
