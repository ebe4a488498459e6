import { parse } from 'graphql';
import { exceededLexicalLimit } from '../src/pipeline/lexicalLimits';

const limits = { maxTokens: 15_000, maxNesting: 500 };

describe('exceededLexicalLimit', () => {
  it('lets an ordinary operation through, strings and comments included', () => {
    expect(exceededLexicalLimit('query Q($id: ID!) { node(id: $id) { id ... on A { b(s: "{ [ ( ") } } } # {{{{', limits)).toBeUndefined();
    // 15 tokens (commas are not tokens), nested 4 deep: exactly at both limits.
    expect(exceededLexicalLimit('{ a(list: [[1], [2]]) }', { maxTokens: 15, maxNesting: 4 })).toBeUndefined();
    expect(exceededLexicalLimit('{ a(list: [[1], [2]]) }', { maxTokens: 14, maxNesting: 4 })).toMatchObject({ code: 'MAX_TOKENS_LIMIT' });
    expect(exceededLexicalLimit('{ a(list: [[1], [2]]) }', { maxTokens: 15, maxNesting: 3 })).toMatchObject({ code: 'MAX_NESTING_LIMIT' });
  });

  it('stops counting at the token limit, without parsing a 200,000-token text', () => {
    const huge = `{ ${'a '.repeat(200_000)}}`;
    expect(exceededLexicalLimit(huge, limits)).toEqual({
      code: 'MAX_TOKENS_LIMIT',
      message: 'The operation has more than 15000 tokens, the limit; it was not parsed.',
      limit: 15_000,
      measured: 15_001,
    });
  });

  it('refuses nesting the parser could not survive', () => {
    const deep = `{${'a{'.repeat(3_000)}b${'}'.repeat(3_000)}}`;
    // What the limit protects: graphql-js' recursive parser exhausts the stack on this text.
    expect(() => parse(deep)).toThrow(RangeError);
    expect(exceededLexicalLimit(deep, limits)).toMatchObject({ code: 'MAX_NESTING_LIMIT', limit: 500, measured: 501 });
  });

  it('leaves a lexical error to the parser', () => {
    expect(exceededLexicalLimit('{ a(s: "unterminated) }', limits)).toBeUndefined();
  });
});
