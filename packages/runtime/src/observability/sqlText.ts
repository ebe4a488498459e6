/**
 * SQL as a span may show it: the statement's shape with every literal replaced by `?`.
 * MikroORM's query builder inlines values into the SQL it sends (`where "guest_id" = '…'`),
 * so the driver's text alone would put ids, keys and emails into traces; bound parameters
 * (`$1`) were never values and stay. Strings (standard, E'' and dollar-quoted) and numbers go.
 */
const LITERALS = /\$(\w*)\$[\s\S]*?\$\1\$|[eE]?'(?:[^']|'')*'|(?<![\w$."])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

export function sqlShape(text: string): string {
  return text.replace(LITERALS, (literal) => (/^\$\d+$/.test(literal) ? literal : '?'));
}
