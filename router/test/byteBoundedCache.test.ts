import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ByteBoundedCache } from '../src/byteBoundedCache';
import { PreparedOperation, PreparedOperations } from '../src/execution/preparedOperation';
import { buildSchema, parse } from 'graphql';
import { supergraphState } from '../src/liveSupergraph';
import { OperationGate } from '../src/pipeline/operationGate';
import { operationTextKey } from '../src/pipeline/operationText';

describe('ByteBoundedCache', () => {
  it('counts the bytes of what it holds (keys included) and evicts the least recently used past its budget', () => {
    const cache = new ByteBoundedCache<string>(1_000);
    cache.set('a', 'A', 298); // 300 with its key
    cache.set('b', 'B', 298);
    cache.set('c', 'C', 298);
    expect(cache.bytes).toBe(900);
    expect(cache.get('a')).toBe('A'); // now b is the least recently used
    cache.set('d', 'D', 298);
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.get('d')]).toEqual(['A', undefined, 'C', 'D']);
    expect(cache.bytes).toBe(900);
    cache.resize('c', 598);
    expect(cache.bytes).toBeLessThanOrEqual(1_000);
    expect(cache.get('c')).toBe('C');
    cache.set('huge', 'H', 5_000);
    expect(cache.get('huge')).toBeUndefined();
    cache.delete('c');
    expect(cache.bytes).toBe(cache.size * 300);
  });
});

describe('PreparedOperations', () => {
  const state = supergraphState(readFileSync(resolve(__dirname, '..', '..', 'schema', 'supergraph.graphql'), 'utf8'), () => ({}));

  it('keys operations by their normalised document: comments and whitespace share one, and no text is kept', () => {
    const operations = new PreparedOperations(state, 1024 * 1024);
    const query = '{ listings(first: 1) { edges { node { id } } } }';
    const first = operations.get(query, undefined);
    expect(first).toBeInstanceOf(PreparedOperation);
    expect(operations.get(query, undefined)).toBe(first);
    const padded = `# ${'x'.repeat(200_000)}\n{ listings(first: 1)   { edges { node { id } } } }`;
    expect(operations.get(padded, undefined)).toBe(first);
    // Neither the padded text nor the document's locations hold the 200 KB comment.
    expect(operations.bytes).toBeLessThan(20_000);
    expect((first as PreparedOperation).document.loc).toBeUndefined();
    expect(operations.get('{ listings(first: 1) {', undefined)).toBe('syntax error');
  });

  it("prepares a text the gate parsed and validated on this request from the gate's document, under the gate's key", () => {
    const operations = new PreparedOperations(state, 1024 * 1024);
    const gate = new OperationGate(
      { apiSchema: state.planner.apiGraphQLSchema, costs: state.costs },
      {
        lexical: { maxTokens: 15_000, maxNesting: 500 },
        operation: { maxDepth: 20, maxAliases: 30, maxRootFields: 20, maxHeight: 200, maxDirectivesPerField: 10 },
        cost: { defaultListSize: 10, maxCost: 10_000 },
      },
      null,
      1024 * 1024,
    );
    const query = '{ listings(first: 2) { edges { node { id title } } } }';
    const first = gate.judgeText(query, undefined);
    expect(first.verdict.kind).toBe('admitted');
    expect(first.text.key).toBe(operationTextKey(query, undefined));
    const document = first.text.validated?.document;
    expect(document).toBeDefined();
    const prepared = operations.get(query, undefined, first.text);
    expect((prepared as PreparedOperation).document).toBe(document);
    // Seen again: the gate hands over only the key, and the executor finds it by that key.
    const again = gate.judgeText(query, undefined);
    expect(again.text).toEqual({ key: first.text.key });
    expect(operations.get(query, undefined, again.text)).toBe(prepared);
    // A document validated against another schema (a supergraph swapped meanwhile) is parsed again.
    const other = new PreparedOperations(state, 1024 * 1024);
    const foreign = { key: 'elsewhere', validated: { document: parse('{ nothing }'), schema: buildSchema('type Query { nothing: Int }') } };
    expect((other.get(query, undefined, foreign) as PreparedOperation).document).not.toBe(foreign.validated.document);
  });

  it('stays within its byte budget under a flood of distinct operations, counting their plans', () => {
    const budget = 2 * 1024 * 1024;
    const operations = new PreparedOperations(state, budget);
    for (let i = 0; i < 300; i += 1) {
      const prepared = operations.get(`{ a${i}: listings(first: ${i + 1}) { edges { node { id title host { displayName } } } } }`, undefined);
      if (typeof prepared === 'string') throw new Error(prepared);
      const before = prepared.retainedBytes;
      expect(prepared.executableFor(state, null).kind).toBe('run');
      expect(prepared.retainedBytes).toBeGreaterThan(before);
      expect(operations.bytes).toBeLessThanOrEqual(budget);
    }
    expect(operations.bytes).toBeGreaterThan(budget / 2);
  });
});
