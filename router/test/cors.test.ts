import type { IncomingMessage } from 'node:http';
import { corsPolicy, DEFAULT_CORS_ORIGINS, parseOriginPatterns } from '../src/pipeline/cors';

function request(method: string, headers: Record<string, string>): IncomingMessage {
  return { method, headers } as unknown as IncomingMessage;
}

const APOLLO_CLIENT_HEADERS = 'content-type, authorization, apollo-require-preflight, graphql-client-name, graphql-client-version';

describe('CORS policy', () => {
  const cors = corsPolicy({ origins: parseOriginPatterns(DEFAULT_CORS_ORIGINS), allowCredentials: false, maxAgeSeconds: 600 });

  it('answers an allowed preflight with the methods and the headers Apollo Client sends', () => {
    const outcome = cors(
      request('OPTIONS', { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': APOLLO_CLIENT_HEADERS }),
    );
    expect(outcome.kind).toBe('preflight');
    expect(outcome.headers).toMatchObject({
      'access-control-allow-origin': 'http://localhost:5173',
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-max-age': '600',
    });
    const allowed = (outcome.headers['access-control-allow-headers'] ?? '').split(', ');
    for (const name of APOLLO_CLIENT_HEADERS.split(', ')) expect(allowed).toContain(name);
    expect(outcome.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('lets a browser ask for the cost (graphql-expose-cost)', () => {
    const outcome = cors(
      request('OPTIONS', { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, graphql-expose-cost' }),
    );
    expect(outcome.headers['access-control-allow-headers']?.split(', ')).toContain('graphql-expose-cost');
  });

  it('lets Apollo Sandbox ask for the query plan (apollo-expose-query-plan), from its hosted and embedded origins', () => {
    for (const origin of ['https://studio.apollographql.com', 'https://sandbox.embed.apollographql.com']) {
      const outcome = cors(
        request('OPTIONS', { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, apollo-expose-query-plan' }),
      );
      expect(outcome.kind).toBe('preflight');
      expect(outcome.headers['access-control-allow-headers']?.split(', ')).toContain('apollo-expose-query-plan');
    }
  });

  it('gives another origin, a foreign header or method no CORS header at all', () => {
    for (const outcome of [
      cors(request('OPTIONS', { origin: 'https://evil.example', 'access-control-request-method': 'POST' })),
      cors(request('OPTIONS', { origin: 'http://localhost:3000', 'access-control-request-method': 'PUT' })),
      cors(request('OPTIONS', { origin: 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-evil' })),
      cors(request('POST', { origin: 'https://evil.example' })),
      cors(request('POST', { origin: 'http://localhost.evil.example:80' })),
      cors(request('POST', { origin: 'http://localhost:80/path' })),
    ]) {
      expect(Object.keys(outcome.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
      expect(outcome.headers.vary).toMatch(/^Origin/);
    }
  });

  it("puts the origin and the readable headers on an allowed origin's actual request", () => {
    expect(cors(request('POST', { origin: 'https://studio.apollographql.com' }))).toEqual({
      kind: 'allowed',
      headers: {
        'access-control-allow-origin': 'https://studio.apollographql.com',
        'access-control-expose-headers': 'retry-after, ratelimit-limit, ratelimit-remaining, ratelimit-reset, ratelimit-policy, x-request-id',
        vary: 'Origin',
      },
    });
    expect(cors(request('POST', {})).kind).toBe('none');
  });

  it('allows credentials only when configured, and never for any origin', () => {
    const withCredentials = corsPolicy({ origins: parseOriginPatterns('https://app.example.com'), allowCredentials: true, maxAgeSeconds: 60 });
    expect(withCredentials(request('GET', { origin: 'https://app.example.com' })).headers).toMatchObject({ 'access-control-allow-credentials': 'true' });
    expect(() => corsPolicy({ origins: parseOriginPatterns('*'), allowCredentials: true, maxAgeSeconds: 60 })).toThrow(/cannot be combined/);
  });

  it('refuses origins written with a path, a trailing slash or another scheme', () => {
    for (const wrong of ['https://app.example.com/', 'https://app.example.com/app', 'ftp://app.example.com', 'http://localhost:3000:*']) {
      expect(() => parseOriginPatterns(wrong)).toThrow();
    }
    expect(parseOriginPatterns(' https://a.example , http://b.example:8080 ')).toEqual([
      { kind: 'exact', origin: 'https://a.example' },
      { kind: 'exact', origin: 'http://b.example:8080' },
    ]);
  });
});
