import { Lexer, Source, TokenKind } from 'graphql';
import type { LimitExceeded } from './operationLimits';

/** Limits checked on an operation's text before it is parsed. `Infinity` switches one off. */
export interface LexicalLimits {
  readonly maxTokens: number;
  readonly maxNesting: number;
}

export interface LexicalLimitExceeded extends Omit<LimitExceeded, 'code'> {
  readonly code: 'MAX_TOKENS_LIMIT' | 'MAX_NESTING_LIMIT';
}

const OPENING = new Set<TokenKind>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSING = new Set<TokenKind>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);
/**
 * Read once: compiled to CommonJS, `TokenKind.EOF` in the loop is a call to graphql's
 * re-export getters per token: 4 % of the CPU of refusing the 10,000-alias request.
 */
const EOF = TokenKind.EOF;

/**
 * Counts tokens and bracket nesting with graphql-js' own lexer (iterative, so no text can
 * exhaust the stack here) and stops at the first limit passed: a 200,000-token or a
 * 10,000-deep text costs the limit's worth of lexing, never a full parse. graphql-js'
 * parser recurses once or more per level of nesting, so this is also what keeps a deeply
 * nested text from overflowing the stack. A lexical error is left to the parser to word.
 */
export function exceededLexicalLimit(query: string, limits: LexicalLimits): LexicalLimitExceeded | undefined {
  const lexer = new Lexer(new Source(query));
  let tokens = 0;
  let nesting = 0;
  try {
    for (let token = lexer.advance(); token.kind !== EOF; token = lexer.advance()) {
      tokens += 1;
      if (tokens > limits.maxTokens) {
        return {
          code: 'MAX_TOKENS_LIMIT',
          message: `The operation has more than ${limits.maxTokens} tokens, the limit; it was not parsed.`,
          limit: limits.maxTokens,
          measured: tokens,
        };
      }
      if (OPENING.has(token.kind)) {
        nesting += 1;
        if (nesting > limits.maxNesting) {
          return {
            code: 'MAX_NESTING_LIMIT',
            message: `The operation nests brackets more than ${limits.maxNesting} deep, the limit; it was not parsed.`,
            limit: limits.maxNesting,
            measured: nesting,
          };
        }
      } else if (CLOSING.has(token.kind)) {
        nesting -= 1;
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}
