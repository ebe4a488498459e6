import { buildSchema, parse, print } from 'graphql';
import { readCostDirectives } from '../src/pipeline/costDirectives';
import { OperationGate, type GateSettings } from '../src/pipeline/operationGate';
import { sha256Hex, TrustedDocuments } from '../src/pipeline/trustedDocuments';

const sdl = `
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
  type Query { listings(first: Int = 20): [Listing!]! @listSize(slicingArguments: ["first"]) node: Listing }
  type Mutation { book: Listing }
  type Listing { id: ID! similar: Listing }
`;
const schema = { apiSchema: buildSchema(sdl), costs: readCostDirectives(sdl) };
const settings: GateSettings = {
  lexical: { maxTokens: 15_000, maxNesting: 500 },
  operation: { maxDepth: 20, maxAliases: 30, maxRootFields: 20, maxHeight: 200, maxDirectivesPerField: 10 },
  cost: { defaultListSize: 10, maxCost: 1_000 },
};

describe('OperationGate', () => {
  it('admits an operation with its type and static cost, and caches the verdict', () => {
    const gate = new OperationGate(schema, settings, null, 1_000_000);
    const verdict = gate.judge('{ listings(first: 50) { id } }', undefined);
    expect(verdict).toEqual({ kind: 'admitted', operationType: 'query', listed: true, cost: 50, cachePolicy: { maxAge: 0, scope: 'PUBLIC' } });
    expect(gate.judge('{ listings(first: 50) { id } }', undefined)).toBe(verdict);
  });

  it('refuses over a limit with the code, the limit and the measure, before validation', () => {
    const gate = new OperationGate(schema, settings, null, 1_000_000);
    const deep = `{ node { ${'similar { '.repeat(25)}id${' }'.repeat(25)} } }`;
    expect(gate.judge(deep, undefined)).toMatchObject({ kind: 'refused', refusal: { status: 400, code: 'MAX_DEPTH_LIMIT', extensions: { limit: 20, measured: 27 } } });
    // Not even valid (unknown field): limits come first, so a bomb never reaches validation.
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: nowhere`).join(' ');
    expect(gate.judge(`{ ${aliases} }`, undefined)).toMatchObject({
      refusal: { code: 'MAX_ROOT_FIELDS_LIMIT', extensions: { exceeded: [{ code: 'MAX_ROOT_FIELDS_LIMIT' }, { code: 'MAX_ALIASES_LIMIT', limit: 30, measured: 40 }] } },
    });
    expect(gate.judge(`{ ${'listings { id } '.repeat(4_000)} }`, undefined)).toMatchObject({ refusal: { code: 'MAX_TOKENS_LIMIT', extensions: { limit: 15_000 } } });
  });

  it('refuses an operation estimated too expensive, unless its cost depends on variables (judged per request)', () => {
    const gate = new OperationGate(schema, settings, null, 1_000_000);
    expect(gate.judge('{ a: listings(first: 600) { id } b: listings(first: 600) { id } }', undefined)).toMatchObject({
      refusal: { code: 'COST_ESTIMATED_TOO_EXPENSIVE', extensions: { cost: { estimated: 1_200, limit: 1_000 } } },
    });
    const verdict = gate.judge('query ($n: Int) { listings(first: $n) { id } }', undefined);
    if (verdict.kind !== 'admitted') throw new Error(`admitted expected, got ${verdict.kind}`);
    expect(OperationGate.costOf(verdict, { n: 5 })).toBe(5);
    expect(OperationGate.costOf(verdict, { n: 5_000 })).toBe(5_000);
  });

  it('leaves what it cannot judge to the executor, and says whether it is listed', () => {
    const body = print(parse('query Listed { node { id } }'));
    const trusted = new TrustedDocuments({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: sha256Hex(body), name: 'Listed', type: 'query', body }] });
    const gate = new OperationGate(schema, settings, trusted, 1_000_000);
    expect(gate.judge('{ node { ', undefined)).toEqual({ kind: 'unjudged', listed: false });
    expect(gate.judge('{ node { nope } }', undefined)).toEqual({ kind: 'unjudged', listed: false });
    expect(gate.judge('query Listed {\n  node { id }\n}', undefined)).toMatchObject({ kind: 'admitted', listed: true });
    expect(gate.judge('query Other { node { id } }', undefined)).toMatchObject({ kind: 'admitted', listed: false });
    expect(gate.judge('mutation { book { id } }', undefined)).toMatchObject({ operationType: 'mutation', cost: 11 });
  });
});
