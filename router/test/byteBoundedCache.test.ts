import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ByteBoundedCache } from '../src/byteBoundedCache';
import { PreparedOperation, PreparedOperations } from '../src/execution/preparedOperation';
import { supergraphState } from '../src/liveSupergraph';

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
