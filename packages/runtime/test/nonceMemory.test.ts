import { NonceMemory } from '@booking/runtime';

describe('NonceMemory (router signature nonces)', () => {
  it('accepts a nonce once, and forgets it only once its signature is too old anyway', () => {
    const memory = new NonceMemory(15_000, 100);
    expect(memory.accept('a', 1_000, 1_000)).toBe(true);
    expect(memory.accept('a', 1_000, 2_000)).toBe(false);
    expect(memory.accept('b', 2_000, 2_000)).toBe(true);
    // 'a' is past the window at 16,001: dropped (the timestamp check refuses its replay).
    expect(memory.accept('c', 16_001, 16_001)).toBe(true);
    expect(memory.size).toBe(2);
  });

  it('stays within its capacity without ever letting a forgotten nonce through', () => {
    const memory = new NonceMemory(15_000, 3);
    for (const [nonce, at] of [['a', 1], ['b', 2], ['c', 3]] as const) expect(memory.accept(nonce, at, 10)).toBe(true);
    // Full: 'a' (sent at 1) is forgotten, so nothing sent at or before 1 is accepted any more.
    expect(memory.accept('d', 4, 10)).toBe(true);
    expect(memory.size).toBe(3);
    expect(memory.accept('a', 1, 10)).toBe(false);
    expect(memory.accept('e', 1, 10)).toBe(false);
    expect(memory.accept('b', 2, 10)).toBe(false);
    for (let i = 0; i < 10_000; i++) memory.accept(`n${i}`, 100 + i, 10_000);
    expect(memory.size).toBe(3);
  });
});
