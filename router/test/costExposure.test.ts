import type { IncomingMessage } from 'node:http';
import { createLogger } from '@booking/runtime';
import { buildSchema } from 'graphql';
import { readCostDirectives } from '../src/pipeline/costDirectives';
import { asksForCost, withResponseExtensions } from '../src/pipeline/costExposure';
import { OperationGate } from '../src/pipeline/operationGate';
import { OperationPipeline } from '../src/pipeline/operationPipeline';
import { PersistedQueries } from '../src/pipeline/persistedQueries';

const sdl = `
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
  type Query { listings(first: Int = 20): [Listing!]! @listSize(slicingArguments: ["first"]) }
  type Listing { id: ID! }
`;

function pipeline(maxCost: number): OperationPipeline {
  const gate = new OperationGate(
    { apiSchema: buildSchema(sdl), costs: readCostDirectives(sdl) },
    {
      lexical: { maxTokens: 15_000, maxNesting: 500 },
      operation: { maxDepth: 20, maxAliases: 30, maxRootFields: 20, maxHeight: 200, maxDirectivesPerField: 10 },
      cost: { defaultListSize: 10, maxCost },
    },
    null,
    1_000_000,
  );
  return new OperationPipeline({
    gate: () => gate,
    persistedQueries: new PersistedQueries('off', null, null),
    rateLimits: null,
    maxCost,
    logger: createLogger('cost-exposure-test', 'silent'),
  });
}

const caller = { viewer: null, address: '203.0.113.1' };
const headers = (values: Record<string, string>) => ({ headers: values }) as unknown as IncomingMessage;

describe('extensions.cost on request (graphql-expose-cost)', () => {
  it('is asked for by `graphql-expose-cost: true` only', () => {
    expect(asksForCost(headers({ 'graphql-expose-cost': 'true' }))).toBe(true);
    expect(asksForCost(headers({ 'graphql-expose-cost': ' TRUE ' }))).toBe(true);
    expect(asksForCost(headers({ 'graphql-expose-cost': 'false' }))).toBe(false);
    expect(asksForCost(headers({}))).toBe(false);
  });

  it('gives the estimate for these variables and the limit when asked, and nothing otherwise', async () => {
    const stages = pipeline(1_000);
    const query = 'query ($n: Int) { listings(first: $n) { id } }';
    const asked = await stages.admit({ query, variables: { n: 7 } }, 'POST', caller, { cost: true });
    expect(asked).toMatchObject({ kind: 'admitted', extensions: { cost: { estimated: 7, limit: 1_000 } } });
    const other = await stages.admit({ query, variables: { n: 40 } }, 'GET', caller, { cost: true });
    expect(other).toMatchObject({ kind: 'admitted', extensions: { cost: { estimated: 40, limit: 1_000 } } });
    // No rate limiting: nothing is charged, so `charged` is absent rather than 0.
    expect(asked.kind === 'admitted' && 'charged' in (asked.extensions.cost ?? {})).toBe(false);
    expect(await stages.admit({ query, variables: { n: 7 } }, 'POST', caller)).toMatchObject({ kind: 'admitted', extensions: {} });
  });

  it('says null for the limit when demand control is off, and tells nothing of what it could not estimate', async () => {
    const off = pipeline(Infinity);
    expect(await off.admit({ query: '{ listings { id } }' }, 'POST', caller, { cost: true })).toMatchObject({
      extensions: { cost: { estimated: 20, limit: null } },
    });
    expect(await off.admit({ query: '{ listings { nope } }' }, 'POST', caller, { cost: true })).toMatchObject({ kind: 'admitted', extensions: {} });
  });

  it('adds to the extensions a response already has, without dropping them', () => {
    const cost = { estimated: 3, limit: 10 };
    expect(withResponseExtensions({ valueCompletion: [] }, { cost })).toEqual({ valueCompletion: [], cost });
    expect(withResponseExtensions(undefined, { cost })).toEqual({ cost });
    const untouched = { valueCompletion: [] };
    expect(withResponseExtensions(untouched, {})).toBe(untouched);
    expect(withResponseExtensions(undefined, undefined)).toBeUndefined();
  });
});
