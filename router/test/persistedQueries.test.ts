import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLogger } from '@booking/runtime';
import { connectRedis, dropKeys, testKeyPrefix } from '@booking/testkit';
import { parse, print as printDocument } from 'graphql';
import type { Redis } from 'ioredis';
import { AutomaticPersistedQueries, PersistedQueries } from '../src/pipeline/persistedQueries';
import { buildManifest, sha256Hex, TrustedDocuments } from '../src/pipeline/trustedDocuments';

const logger = createLogger('persisted-queries-test', 'silent');
const LISTINGS = 'query Listings { listings { edges { node { id } } } }';

function operationsFolder(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), 'operations-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(folder, name, '..'), { recursive: true });
    writeFileSync(join(folder, name), text);
  }
  return folder;
}

describe('persisted query manifest', () => {
  const files = {
    'listings.graphql': 'query Listings($city: String) { listings(city: $city) { edges { node { ...Card } } } }',
    'fragments/card.gql': 'fragment Card on Listing { id title host { ...Person } }\nfragment Person on User { displayName }',
    'book.graphql': '# a comment\nmutation Book($input: CreateBookingInput!) {\n  createBooking(input: $input) { id }\n}',
  };

  it('lists each named operation with the fragments it uses, ids being the sha256 of the body', () => {
    const folder = operationsFolder(files);
    try {
      const manifest = buildManifest(folder);
      expect(manifest.format).toBe('apollo-persisted-query-manifest');
      expect(manifest.operations.map((operation) => [operation.name, operation.type])).toEqual([
        ['Book', 'mutation'],
        ['Listings', 'query'],
      ]);
      const listings = manifest.operations[1];
      expect(listings?.body).toContain('fragment Card on Listing');
      expect(listings?.body).toContain('fragment Person on User');
      expect(manifest.operations[0]?.body).not.toContain('fragment');
      for (const operation of manifest.operations) expect(operation.id).toBe(sha256Hex(operation.body));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('is deterministic: the same operations, reformatted or in other files, give the same bytes (the command too)', () => {
    const first = operationsFolder(files);
    const second = operationsFolder({
      'all.graphql': Object.values(files)
        .reverse()
        .map((text) => text.replace(/ /g, '  '))
        .join('\n\n'),
    });
    const command = resolve(__dirname, '..', 'dist', 'persistedQueryManifest.js');
    try {
      const outputs = [first, second].map((folder) => spawnSync(process.execPath, [command, folder], { encoding: 'utf8' }));
      for (const output of outputs) expect(output.status).toBe(0);
      expect(outputs[0]?.stdout).toBe(outputs[1]?.stdout);
      expect(JSON.parse(outputs[0]?.stdout ?? '')).toEqual(buildManifest(first));
      const written = join(first, 'manifest.json');
      expect(spawnSync(process.execPath, [command, first, written]).status).toBe(0);
      expect(readFileSync(written, 'utf8')).toBe(outputs[0]?.stdout);
    } finally {
      rmSync(first, { recursive: true, force: true });
      rmSync(second, { recursive: true, force: true });
    }
  });

  it('refuses anonymous operations, duplicates and missing fragments, naming the file', () => {
    for (const [files, message] of [
      [{ 'a.graphql': '{ listings { edges { node { id } } } }' }, /a\.graphql: every operation needs a name/],
      [{ 'a.graphql': 'query A { viewer { id } }', 'b.graphql': 'query A { viewer { id } }' }, /b\.graphql: operation A is defined twice/],
      [{ 'a.graphql': 'query A { viewer { ...Missing } }' }, /fragment Missing is used by A but defined nowhere/],
    ] as const) {
      const folder = operationsFolder(files);
      try {
        expect(() => buildManifest(folder)).toThrow(message);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    }
  });
});

describe('PersistedQueries', () => {
  const prefix = testKeyPrefix('apq');
  const clients: Redis[] = [];
  afterAll(async () => {
    await dropKeys(clients[0] as Redis, prefix);
    for (const client of clients) client.disconnect();
  });
  const apqRouter = () => {
    const redis = connectRedis();
    clients.push(redis);
    return new PersistedQueries('apq', new AutomaticPersistedQueries(redis, prefix, 60, 1_000_000, logger), null);
  };
  const hashOnly = (query: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex(query) } } });

  it('runs the APQ round trip: hash unknown, then hash and text, then hash alone on another router', async () => {
    const first = apqRouter();
    const second = apqRouter();
    expect(await first.resolve(hashOnly(LISTINGS))).toMatchObject({
      kind: 'refused',
      refusal: { status: 200, code: 'PERSISTED_QUERY_NOT_FOUND', headers: { 'cache-control': 'private, no-cache, must-revalidate' } },
    });
    const registering = await first.resolve({ query: LISTINGS, ...hashOnly(LISTINGS) });
    expect(registering).toMatchObject({ kind: 'text', query: LISTINGS, registerAs: sha256Hex(LISTINGS) });
    // Not kept until it validated.
    expect((await second.resolve(hashOnly(LISTINGS))).kind).toBe('refused');
    await first.register(sha256Hex(LISTINGS), LISTINGS);
    expect(await second.resolve(hashOnly(LISTINGS))).toEqual({ kind: 'text', query: LISTINGS, listed: true });
  });

  it('refuses a hash that does not match its text, a malformed hash and another version', async () => {
    const router = apqRouter();
    expect(await router.resolve({ query: '{ viewer { id } }', ...hashOnly(LISTINGS) })).toMatchObject({ refusal: { status: 400, code: 'PERSISTED_QUERY_HASH_MISMATCH' } });
    expect(await router.resolve({ extensions: { persistedQuery: { version: 1, sha256Hash: 'nope' } } })).toMatchObject({ refusal: { status: 400, code: 'BAD_REQUEST' } });
    expect(await router.resolve({ extensions: { persistedQuery: { version: 2, sha256Hash: sha256Hex(LISTINGS) } } })).toMatchObject({ refusal: { code: 'BAD_REQUEST' } });
  });

  it('does not run a text Redis holds under another hash', async () => {
    const router = apqRouter();
    const redis = clients[clients.length - 1] as Redis;
    const id = sha256Hex('query Other { viewer { id } }');
    await redis.set(`${prefix}apq:${id}`, 'mutation Evil { deleteAccount }');
    expect((await router.resolve({ extensions: { persistedQuery: { version: 1, sha256Hash: id } } })).kind).toBe('refused');
  });

  it('with persisted queries off, answers PERSISTED_QUERY_NOT_SUPPORTED', async () => {
    expect(await new PersistedQueries('off', null, null).resolve(hashOnly(LISTINGS))).toMatchObject({ refusal: { code: 'PERSISTED_QUERY_NOT_SUPPORTED' } });
  });

  describe('safelist', () => {
    const body = printDocument(parse(LISTINGS));
    const trusted = new TrustedDocuments({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: sha256Hex(body), name: 'Listings', type: 'query', body }] });

    it('serves a listed operation by id, and refuses an unknown id with PERSISTED_QUERY_NOT_IN_LIST', async () => {
      const safelist = new PersistedQueries('safelist', null, trusted);
      expect(await safelist.resolve(hashOnly(body))).toEqual({ kind: 'text', query: body, listed: true });
      expect(await safelist.resolve(hashOnly('query Other { viewer { id } }'))).toMatchObject({ refusal: { status: 400, code: 'PERSISTED_QUERY_NOT_IN_LIST' } });
    });

    it('leaves a full text to be matched once parsed: listed byte for byte or reformatted, not otherwise', async () => {
      const safelist = new PersistedQueries('safelist', null, trusted);
      expect(await safelist.resolve({ query: LISTINGS })).toEqual({ kind: 'text', query: LISTINGS, listed: 'unchecked' });
      expect(trusted.lists(body, () => undefined)).toBe(true);
      expect(trusted.lists(LISTINGS, () => parse(LISTINGS))).toBe(true);
      expect(trusted.lists('query Listings { listings { edges { node { id title } } } }', () => parse('query Listings { listings { edges { node { id title } } } }'))).toBe(false);
    });

    it('needs a manifest', () => {
      expect(() => new PersistedQueries('safelist', null, null)).toThrow(/PERSISTED_QUERIES_MANIFEST/);
    });
  });
});
