/**
 * What a PromQL expression reads: the metric names it selects, the labels it matches on each,
 * and the labels it groups or joins by. Enough of PromQL's lexer for that (strings, matchers,
 * ranges, keywords, function calls); whether the expression is valid PromQL at all is
 * promtool's job, which the tests run on the same expressions.
 */
export interface Selector {
  /** The metric name, or null for a selector of matchers only (`{job="x"}`). */
  readonly metric: string | null;
  /** Label names its matchers use (`{subgraph=~"…"}` → subgraph). */
  readonly matcherLabels: readonly string[];
}

export interface ExpressionReads {
  readonly selectors: readonly Selector[];
  /** Labels of `by`, `without`, `on`, `ignoring`, `group_left`, `group_right` clauses. */
  readonly groupingLabels: readonly string[];
}

const AGGREGATIONS = new Set([
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio',
]);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'atan2']);

const IDENTIFIER = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const NUMBER = /^(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

class Cursor {
  position = 0;
  constructor(readonly text: string) {}
  get rest(): string {
    return this.text.slice(this.position);
  }
  get done(): boolean {
    return this.position >= this.text.length;
  }
  peek(): string {
    return this.text[this.position] ?? '';
  }
  skipSpace(): void {
    for (;;) {
      const space = /^\s+/.exec(this.rest);
      if (space) this.position += space[0].length;
      else if (this.peek() === '#') this.position = this.text.indexOf('\n', this.position) === -1 ? this.text.length : this.text.indexOf('\n', this.position);
      else return;
    }
  }
  take(pattern: RegExp): string | null {
    const match = pattern.exec(this.rest);
    if (!match) return null;
    this.position += match[0].length;
    return match[0];
  }
  /** Skips a quoted string starting at the cursor (", ' or `). */
  skipString(): void {
    const quote = this.peek();
    this.position += 1;
    while (!this.done && this.peek() !== quote) this.position += this.peek() === '\\' && quote !== '`' ? 2 : 1;
    this.position += 1;
  }
  fail(message: string): never {
    throw new Error(`${message} at offset ${this.position} of: ${this.text}`);
  }
}

/** `{a="x", b=~"y"}` at the cursor: the label names. */
function readMatchers(cursor: Cursor): string[] {
  const labels: string[] = [];
  cursor.position += 1; // {
  for (;;) {
    cursor.skipSpace();
    if (cursor.peek() === '}') {
      cursor.position += 1;
      return labels;
    }
    if (cursor.peek() === ',') {
      cursor.position += 1;
      continue;
    }
    const label = cursor.take(LABEL_NAME) ?? cursor.fail('expected a label name in a matcher');
    labels.push(label);
    cursor.skipSpace();
    if (!cursor.take(/^(=~|!~|!=|=)/)) cursor.fail('expected a matcher operator');
    cursor.skipSpace();
    if (!['"', "'", '`'].includes(cursor.peek())) cursor.fail('expected a quoted label value');
    cursor.skipString();
  }
}

/** `(a, b)` at the cursor (after a grouping keyword): the label names. */
function readLabelList(cursor: Cursor): string[] {
  cursor.skipSpace();
  if (cursor.peek() !== '(') return [];
  const end = cursor.text.indexOf(')', cursor.position);
  if (end === -1) cursor.fail('unclosed label list');
  const labels = cursor.text
    .slice(cursor.position + 1, end)
    .split(',')
    .map((label) => label.trim())
    .filter((label) => label.length > 0);
  cursor.position = end + 1;
  return labels;
}

export function expressionReads(expression: string): ExpressionReads {
  const cursor = new Cursor(expression);
  const selectors: Selector[] = [];
  const groupingLabels: string[] = [];
  for (;;) {
    cursor.skipSpace();
    if (cursor.done) break;
    const next = cursor.peek();
    if (next === '"' || next === "'" || next === '`') {
      cursor.skipString(); // an argument such as label_replace's, not a selector
      continue;
    }
    if (next === '[') {
      // A range or subquery: durations, nothing read.
      const end = cursor.text.indexOf(']', cursor.position);
      cursor.position = end === -1 ? cursor.fail('unclosed range') : end + 1;
      continue;
    }
    if (next === '{') {
      selectors.push({ metric: null, matcherLabels: readMatchers(cursor) });
      continue;
    }
    if (cursor.take(NUMBER) !== null) continue;
    const word = cursor.take(IDENTIFIER);
    if (word === null) {
      cursor.position += 1; // an operator or parenthesis
      continue;
    }
    if (GROUPING.has(word)) {
      groupingLabels.push(...readLabelList(cursor));
      continue;
    }
    if (word === 'offset') {
      cursor.skipSpace();
      cursor.take(/^-?[0-9a-z]+/);
      continue;
    }
    if (AGGREGATIONS.has(word) || KEYWORDS.has(word)) continue;
    cursor.skipSpace();
    if (cursor.peek() === '(') continue; // a function call
    selectors.push({ metric: word, matcherLabels: cursor.peek() === '{' ? readMatchers(cursor) : [] });
  }
  return { selectors, groupingLabels };
}
