import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  CLIENT_FACING_SUBGRAPH_CODES,
  defaultSubgraphErrorsMode,
  MASKED_MESSAGE,
  subgraphErrorPolicy,
  type MaskedSubgraphErrorLog,
  type SubgraphErrorValue,
} from '../src/pipeline/subgraphErrorPolicy';

const ROOT = resolve(__dirname, '..', '..');

/** The log a request would write to: here, what it was told. */
function collectingLog(): MaskedSubgraphErrorLog & { readonly masked: { serviceName: string; original: unknown }[] } {
  const masked: { serviceName: string; original: unknown }[] = [];
  return { masked, subgraphErrorMasked: (serviceName, original) => void masked.push({ serviceName, original }) };
}

const conflict = { message: 'The listing is already booked for part of that time range', path: ['createBooking'], extensions: { code: 'BOOKING_CONFLICT', listingId: 'l-1' } };
const badInput = { message: 'startsAt: must be today or later', path: ['quote'], extensions: { code: 'BAD_USER_INPUT', field: 'startsAt' } };

describe('SUBGRAPH_ERRORS=mask', () => {
  const policy = subgraphErrorPolicy('mask');

  test('client-facing codes pass with their message and extensions; nothing is copied when nothing changes', () => {
    const errors = [conflict, badInput];
    const log = collectingLog();
    expect(policy.apply('bookings', errors, log)).toBe(errors);
    expect(log.masked).toEqual([]);
  });

  test.each<[string, SubgraphErrorValue]>([
    ['no code', { message: 'relation "listing" does not exist', path: ['listings'] }],
    ['INTERNAL_SERVER_ERROR', { message: 'Cannot read properties of undefined', path: ['listings', 'edges', 0, 'node', 'title'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
    ['an unknown code', { message: 'ECONNRESET on pool', path: ['booking'], extensions: { code: 'DB_POOL_EXHAUSTED', host: '10.0.0.7' } }],
    ['a subgraph validation failure (schema drift)', { message: 'Cannot query field "secret" on type "Listing".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }],
  ])('%s becomes INTERNAL_SERVER_ERROR with its path and the subgraph, and the original is logged', (_case, error) => {
    const log = collectingLog();
    const [masked] = policy.apply('catalog', [error], log);
    expect(masked).toEqual({
      message: MASKED_MESSAGE,
      ...(error.path ? { path: error.path } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'catalog' },
    });
    expect(log.masked).toEqual([{ serviceName: 'catalog', original: { message: error.message, code: error.extensions?.code, path: error.path } }]);
  });

  test('masks one for one and in order, so every error still explains its null', () => {
    const internal = { message: 'deadlock detected', path: ['listings', 'edges', 1, 'node', 'host'], extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    const shown = policy.apply('accounts', [badInput, internal, conflict]);
    expect(shown.map((error) => [error.extensions?.code, error.path])).toEqual([
      ['BAD_USER_INPUT', ['quote']],
      ['INTERNAL_SERVER_ERROR', internal.path],
      ['BOOKING_CONFLICT', ['createBooking']],
    ]);
    expect(shown[0]).toBe(badInput);
  });

  test('a client-facing error from a subgraph in debug mode loses its stack trace, keeps the rest', () => {
    const debug = { ...conflict, extensions: { ...conflict.extensions, stacktrace: ['BookingConflict: at /app/subgraphs/bookings/dist/x.js:1:1'], exception: { stacktrace: [] } } };
    expect(policy.apply('bookings', [debug])).toEqual([conflict]);
  });
});

describe('SUBGRAPH_ERRORS=pass', () => {
  const policy = subgraphErrorPolicy('pass');

  test('every error passes as sent, the same array when there is no stack trace', () => {
    const raw = [{ message: 'relation "listing" does not exist', path: ['listings'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }];
    const log = collectingLog();
    expect(policy.apply('catalog', raw, log)).toBe(raw);
    expect(log.masked).toEqual([]);
  });

  test('stack traces never pass, in any mode', () => {
    const raw = { message: 'boom', path: ['listings'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['Error: boom', '    at /app/x.js:1:1'] } };
    expect(policy.apply('catalog', [raw])).toEqual([{ message: 'boom', path: ['listings'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
  });
});

test('the default is mask in the production profile, pass elsewhere', () => {
  expect(defaultSubgraphErrorsMode('production')).toBe('mask');
  expect(defaultSubgraphErrorsMode('development')).toBe('pass');
});

describe('the client-facing list', () => {
  /** Codes named in the README's "Errors clients can rely on" table. */
  const documented = (() => {
    const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Errors clients can rely on'), readme.indexOf('### Bounded work per request'));
    return new Set([...section.matchAll(/^\| (.+?) \|/gm)].flatMap((row) => [...(row[1] ?? '').matchAll(/`([A-Z_]+)`/g)].map((code) => code[1])));
  })();

  function sources(dir: string): string[] {
    return readdirSync(dir).flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return sources(path);
      return path.endsWith('.ts') ? [path] : [];
    });
  }

  /** The codes our subgraphs give their domain errors (`readonly code = '…'`, `super('CODE', …)` of a Conflict). */
  const domainCodes = new Set(
    [...['accounts', 'catalog', 'bookings', 'billing'].map((name) => resolve(ROOT, 'subgraphs', name, 'src')), resolve(ROOT, 'packages', 'runtime', 'src')]
      .flatMap(sources)
      .flatMap((file) => {
        const text = readFileSync(file, 'utf8');
        return [...text.matchAll(/readonly code = '([A-Z_]+)'/g), ...text.matchAll(/extends Conflict \{[^}]*?super\('([A-Z_]+)'/gs)].map((match) => match[1] as string);
      }),
  );
  /** Raised by a subgraph but never for a client: the router is the one that left. */
  const NOT_FOR_CLIENTS = ['REQUEST_ABORTED'];

  test('every code in it is documented for clients', () => {
    expect(documented.size).toBeGreaterThan(20);
    expect([...CLIENT_FACING_SUBGRAPH_CODES].filter((code) => !documented.has(code))).toEqual([]);
  });

  test("every subgraph domain error's code is in it, or production would mask it", () => {
    expect(domainCodes).toContain('BOOKING_CONFLICT');
    expect(domainCodes).toContain('PAYMENT_DECLINED');
    expect([...domainCodes].filter((code) => !CLIENT_FACING_SUBGRAPH_CODES.has(code) && !NOT_FOR_CLIENTS.includes(code))).toEqual([]);
  });
});
