import { judgeSchemaChange, type SchemaChangeInput } from '../src/check/schemaChange';
import { parseAcknowledgements } from '../src/check/acknowledgements';
import { deprecatedCoordinates, deprecatedSince } from '../src/check/deprecations';

const DAY_MS = 24 * 60 * 60 * 1000;
const NOW = new Date('2026-12-04T12:00:00Z');
const daysAgo = (days: number): Date => new Date(NOW.getTime() - days * DAY_MS);

const BASE = /* GraphQL */ `
  type Query {
    listing(id: ID!): Listing
    listings: [Listing!]! @deprecated(reason: "Use search.")
    search(text: String): [Listing!]!
  }
  type Listing {
    id: ID!
    title: String!
    status: ListingStatus!
  }
  enum ListingStatus {
    ACTIVE
    HIDDEN
  }
`;

function input(headSdl: string, overrides: Partial<SchemaChangeInput> = {}): SchemaChangeInput {
  return {
    baseSdl: BASE,
    headSdl,
    acknowledgements: [],
    deprecatedSince: new Map([['Query.listings', daysAgo(40)]]),
    deprecationDays: 30,
    now: NOW,
    operations: [],
    ...overrides,
  };
}

describe('the schema-change policy (two API schemas, acknowledgements, deprecation dates)', () => {
  it('passes an additive change: a new field is safe, a new optional argument only reported (dangerous)', async () => {
    const head = BASE.replace('status: ListingStatus!', 'status: ListingStatus!\n    description: String').replace(
      'search(text: String)',
      'search(text: String, first: Int = 10)',
    );
    const verdict = await judgeSchemaChange(input(head));
    expect(verdict.ok).toBe(true);
    expect(verdict.breaking).toEqual([]);
    expect(verdict.safe.map((change) => change.path)).toEqual(['Listing.description']);
    expect(verdict.dangerous.map((change) => change.path)).toEqual(['Query.search.first']);
  });

  it('fails a removed field, a changed type and a new required argument, naming each path and why', async () => {
    const head = BASE.replace('title: String!\n', '')
      .replace('listing(id: ID!): Listing', 'listing(id: ID!): [Listing!]')
      .replace('search(text: String)', 'search(text: String, first: Int!)');
    const verdict = await judgeSchemaChange(input(head));
    expect(verdict.ok).toBe(false);
    expect(verdict.breaking.map((change) => [change.path, change.type])).toEqual(
      expect.arrayContaining([
        ['Listing.title', 'FIELD_REMOVED'],
        ['Query.listing', 'FIELD_TYPE_CHANGED'],
        ['Query.search.first', 'FIELD_ARGUMENT_ADDED'],
      ]),
    );
    expect(verdict.breaking).toHaveLength(3);
    for (const change of verdict.breaking) expect(change.why).toMatch(/not deprecated on the base/);
  });

  it('passes the removal of a field deprecated on the base for at least the configured period', async () => {
    const head = BASE.replace('listings: [Listing!]! @deprecated(reason: "Use search.")\n', '');
    const verdict = await judgeSchemaChange(input(head));
    expect(verdict.ok).toBe(true);
    expect(verdict.allowed).toEqual([
      expect.objectContaining({ path: 'Query.listings', why: 'Query.listings deprecated since 2026-10-25 (40 days)' }),
    ]);
  });

  it('fails the removal of a field deprecated too recently, or with no known deprecation date', async () => {
    const head = BASE.replace('listings: [Listing!]! @deprecated(reason: "Use search.")\n', '');
    const recent = await judgeSchemaChange(input(head, { deprecatedSince: new Map([['Query.listings', daysAgo(10)]]) }));
    expect(recent.ok).toBe(false);
    expect(recent.breaking[0]?.why).toBe('Query.listings deprecated since 2026-11-24 (10 days), less than the 30 days the policy asks');
    const undated = await judgeSchemaChange(input(head, { deprecatedSince: new Map() }));
    expect(undated.ok).toBe(false);
    expect(undated.breaking[0]?.why).toMatch(/no commit of the API schema shows since when/);
  });

  it('passes a breaking change acknowledged with a reason, and says so', async () => {
    const head = BASE.replace('title: String!\n', '');
    const acknowledgements = parseAcknowledgements(
      JSON.stringify({ changes: [{ path: 'Listing.title', reason: 'No client reads it (checked the manifests).' }] }),
      'acknowledged-changes.json',
    );
    const verdict = await judgeSchemaChange(input(head, { acknowledgements }));
    expect(verdict.ok).toBe(true);
    expect(verdict.allowed).toEqual([
      expect.objectContaining({ path: 'Listing.title', why: 'acknowledged: No client reads it (checked the manifests).' }),
    ]);
  });

  it('fails when a registered operation no longer validates, even if the change itself is allowed', async () => {
    const head = BASE.replace('title: String!\n', '');
    const verdict = await judgeSchemaChange(
      input(head, {
        acknowledgements: [{ path: 'Listing.title', reason: 'Renamed.' }],
        operations: [
          { name: 'ListingCard', body: 'query ListingCard($id: ID!) { listing(id: $id) { id title } }' },
          { name: 'ListingStatus', body: 'query ListingStatus($id: ID!) { listing(id: $id) { id status } }' },
        ],
      }),
    );
    expect(verdict.ok).toBe(false);
    expect(verdict.breaking).toEqual([]);
    expect(verdict.invalidOperations).toEqual([{ name: 'ListingCard', errors: ['Cannot query field "title" on type "Listing".'] }]);
  });

  it('reports a dangerous change (a new enum value) without failing', async () => {
    const verdict = await judgeSchemaChange(input(BASE.replace('HIDDEN', 'HIDDEN\n    ARCHIVED')));
    expect(verdict.ok).toBe(true);
    expect(verdict.dangerous.map((change) => change.path)).toEqual(['ListingStatus.ARCHIVED']);
  });

  it('with no base schema, only checks the registered operations', async () => {
    const verdict = await judgeSchemaChange(
      input(BASE, { baseSdl: undefined, operations: [{ name: 'Broken', body: 'query Broken { nothing }' }] }),
    );
    expect(verdict.breaking).toEqual([]);
    expect(verdict.invalidOperations.map((operation) => operation.name)).toEqual(['Broken']);
  });
});

describe('deprecation dates', () => {
  it('dates a deprecation by the oldest version of its unbroken run, newest first', () => {
    const withDeprecation = BASE;
    const without = BASE.replace(' @deprecated(reason: "Use search.")', '');
    const since = deprecatedSince(deprecatedCoordinates(BASE), [
      { committedAt: daysAgo(1), sdl: withDeprecation },
      { committedAt: daysAgo(5), sdl: withDeprecation },
      { committedAt: daysAgo(9), sdl: without }, // withdrawn here: an older deprecation does not count
      { committedAt: daysAgo(50), sdl: withDeprecation },
    ]);
    expect(since).toEqual(new Map([['Query.listings', daysAgo(5)]]));
  });

  it('finds deprecated fields, arguments, input fields and enum values', () => {
    const sdl = `
      type Query { a(x: Int @deprecated, y: Int): Int @deprecated(reason: "no") b(input: In): E }
      input In { old: Int @deprecated new: Int }
      enum E { ON OFF @deprecated }
    `;
    expect([...deprecatedCoordinates(sdl)].sort()).toEqual(['E.OFF', 'In.old', 'Query.a', 'Query.a.x']);
  });
});

describe('acknowledged-changes.json', () => {
  it('requires a schema coordinate and a reason for every entry', () => {
    expect(() => parseAcknowledgements('{"changes":[{"path":"Listing.title"}]}', 'ack.json')).toThrow(
      'ack.json: changes[0] (Listing.title) needs a reason: say why breaking clients is acceptable',
    );
    expect(() => parseAcknowledgements('{"changes":[{"path":"not a path","reason":"x"}]}', 'ack.json')).toThrow(/changes\[0\]\.path must be a schema coordinate/);
    expect(() => parseAcknowledgements('[]', 'ack.json')).toThrow(/expected \{"changes"/);
    expect(parseAcknowledgements('{"changes":[]}', 'ack.json')).toEqual([]);
  });
});
