import type { IncomingMessage } from 'node:http';
import { EXPOSE_COST_HEADER } from './costExposure';
import { EXPOSE_QUERY_PLAN_HEADER } from './queryPlanExposure';
import { CSRF_PREVENTION_REQUEST_HEADERS } from './csrfPrevention';
import type { RequestStage } from './requestPipeline';

/**
 * Origins as an operator writes them in CORS_ORIGINS: an exact origin
 * (`https://app.example.com`), an origin with any port (`http://localhost:*`), or `*` for any
 * origin (never with credentials: a browser refuses that pair, so configuration does too).
 */
export type OriginPattern = { readonly kind: 'any' } | { readonly kind: 'exact'; readonly origin: string } | { readonly kind: 'anyPort'; readonly prefix: string };

export interface CorsSettings {
  readonly origins: readonly OriginPattern[];
  /** `Access-Control-Allow-Credentials: true`: cookies and HTTP auth may be sent cross-origin. */
  readonly allowCredentials: boolean;
  /** How long a browser may reuse a preflight answer. */
  readonly maxAgeSeconds: number;
}

/** Local development servers on any port, and Apollo Studio / Sandbox (hosted and embedded). */
export const DEFAULT_CORS_ORIGINS =
  'http://localhost:*,http://127.0.0.1:*,http://[::1]:*,https://studio.apollographql.com,https://sandbox.embed.apollographql.com';

/**
 * Request headers Apollo Client, Apollo Studio and our own clients send; a preflight asking for
 * any other header is not allowed it (the browser then does not send the request).
 */
export const ALLOWED_REQUEST_HEADERS = [
  'content-type',
  'authorization',
  ...CSRF_PREVENTION_REQUEST_HEADERS,
  'graphql-client-name',
  'graphql-client-version',
  'apollographql-client-name',
  'apollographql-client-version',
  'x-request-id',
  // A client's own, shorter deadline for its request (README "Failure behaviour").
  'x-request-timeout-ms',
  'traceparent',
  'tracestate',
  'accept',
  // Asks for extensions.cost (costExposure.ts).
  EXPOSE_COST_HEADER,
  // Sandbox asks for the query plan (queryPlanExposure.ts).
  EXPOSE_QUERY_PLAN_HEADER,
];

/** Response headers a cross-origin script may read (others are hidden from it by the browser). */
export const EXPOSED_RESPONSE_HEADERS = ['retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'ratelimit-policy', 'x-request-id'];

const ALLOWED_METHODS = ['GET', 'POST', 'OPTIONS'];

export function parseOriginPatterns(raw: string): OriginPattern[] {
  const patterns = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry): OriginPattern => {
      if (entry === '*') return { kind: 'any' };
      const anyPort = entry.endsWith(':*');
      const url = new URL(anyPort ? entry.slice(0, -2) : entry);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${entry}: an origin is http(s)://host[:port]`);
      if (url.pathname !== '/' || url.search || url.hash || url.username || entry.endsWith('/')) {
        throw new Error(`${entry}: an origin has no path, query or credentials (write it as the browser sends it, e.g. https://app.example.com)`);
      }
      if (anyPort) {
        if (url.port) throw new Error(`${entry}: give a port or :*, not both`);
        return { kind: 'anyPort', prefix: `${url.protocol}//${url.host}:` };
      }
      return { kind: 'exact', origin: url.origin };
    });
  return patterns;
}

function originAllowed(origin: string, patterns: readonly OriginPattern[]): boolean {
  for (const pattern of patterns) {
    if (pattern.kind === 'any') return true;
    if (pattern.kind === 'exact' && pattern.origin === origin) return true;
    if (pattern.kind === 'anyPort' && origin.startsWith(pattern.prefix) && /^\d{1,5}$/.test(origin.slice(pattern.prefix.length))) return true;
  }
  return false;
}

function singleHeader(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** What the CORS stage does with one request. */
export type CorsOutcome =
  /** No Origin header (not a browser's cross-origin call) or a disallowed origin: no CORS headers. */
  | { readonly kind: 'none'; readonly headers: Readonly<Record<string, string>> }
  /** An allowed origin's actual request: these headers go on its response. */
  | { readonly kind: 'allowed'; readonly headers: Readonly<Record<string, string>> }
  /** A preflight: answered at once with 204 and these headers, nothing else runs. */
  | { readonly kind: 'preflight'; readonly headers: Readonly<Record<string, string>> };

/**
 * The CORS stage: browsers on allowed origins may call the router; every other origin gets no
 * CORS header at all, so its script cannot read answers (and, with CSRF prevention, cannot
 * make a signed-in browser run anything). `Vary: Origin` on every answer keeps shared caches
 * from serving one origin's headers to another.
 */
export function corsPolicy(settings: CorsSettings) {
  if (settings.allowCredentials && settings.origins.some((pattern) => pattern.kind === 'any')) {
    throw new Error('CORS_ALLOW_CREDENTIALS=true cannot be combined with CORS_ORIGINS=*: browsers refuse credentials for any origin');
  }
  const allowedHeaders = new Set(ALLOWED_REQUEST_HEADERS);
  const vary = { vary: 'Origin' };
  const preflightVary = { vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' };
  const credentials: Record<string, string> = settings.allowCredentials ? { 'access-control-allow-credentials': 'true' } : {};
  const exposed = EXPOSED_RESPONSE_HEADERS.join(', ');

  return (request: IncomingMessage): CorsOutcome => {
    const origin = singleHeader(request, 'origin');
    const requestedMethod = singleHeader(request, 'access-control-request-method');
    const isPreflight = request.method === 'OPTIONS' && requestedMethod !== undefined;
    if (origin === undefined || !originAllowed(origin, settings.origins)) {
      return { kind: isPreflight ? 'preflight' : 'none', headers: isPreflight ? preflightVary : vary };
    }
    if (!isPreflight) {
      return { kind: 'allowed', headers: { 'access-control-allow-origin': origin, 'access-control-expose-headers': exposed, ...credentials, ...vary } };
    }
    const requestedHeaders = (singleHeader(request, 'access-control-request-headers') ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name.length > 0);
    // A method or header outside the policy: no CORS headers, so the browser stops there.
    if (!ALLOWED_METHODS.includes(requestedMethod.toUpperCase()) || requestedHeaders.some((name) => !allowedHeaders.has(name))) {
      return { kind: 'preflight', headers: preflightVary };
    }
    return {
      kind: 'preflight',
      headers: {
        'access-control-allow-origin': origin,
        'access-control-allow-methods': ALLOWED_METHODS.join(', '),
        'access-control-allow-headers': ALLOWED_REQUEST_HEADERS.join(', '),
        'access-control-max-age': String(settings.maxAgeSeconds),
        ...credentials,
        ...preflightVary,
      },
    };
  };
}

/**
 * The CORS stage of the request pipeline: an allowed origin's request gets its headers, and a
 * preflight is answered here (204), before CSRF prevention and before any body is read.
 */
export function corsStage(settings: CorsSettings): RequestStage {
  const policy = corsPolicy(settings);
  return (request, response) => {
    const outcome = policy(request);
    for (const [name, value] of Object.entries(outcome.headers)) response.setHeader(name, value);
    if (outcome.kind !== 'preflight') return undefined;
    response.writeHead(204, { 'content-length': '0' });
    response.end();
    return 'answered';
  };
}
