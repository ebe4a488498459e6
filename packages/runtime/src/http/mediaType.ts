/**
 * A `Content-Type` value parsed as RFC 9110 §8.3.1 defines it:
 * `type "/" subtype *( OWS ";" OWS [ name "=" ( token / quoted-string ) ] )`.
 * Type, subtype and parameter names are case-insensitive and returned in lower case.
 *
 * Deciding by the essence (`type/subtype`) and never by a substring is what keeps
 * `text/plain; charset=application/json` a text/plain request: a browser sends that cross-site
 * without a CORS preflight, so it must never be treated as JSON.
 */
export interface MediaType {
  /** `type/subtype`, lower case. */
  readonly essence: string;
  /** Parameter values as sent (quotes removed); names lower case; the first of a name wins. */
  readonly parameters: ReadonlyMap<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const WHITESPACE = /^[ \t]*/;

/**
 * The media type, or undefined when the value is not one (empty, no slash, bad characters).
 * A malformed parameter is skipped, not fatal, as browsers parse it (WHATWG MIME Sniffing
 * §4.4): CSRF prevention must see `text/plain; application/json` as the text/plain a browser
 * sends without a preflight, not as something unparsable.
 */
export function parseMediaType(value: string): MediaType | undefined {
  const semicolon = value.indexOf(';');
  const head = (semicolon < 0 ? value : value.slice(0, semicolon)).trim();
  const slash = head.indexOf('/');
  if (slash < 0) return undefined;
  const type = head.slice(0, slash);
  const subtype = head.slice(slash + 1);
  if (!TOKEN.test(type) || !TOKEN.test(subtype)) return undefined;
  const parameters = new Map<string, string>();
  let rest = semicolon < 0 ? '' : value.slice(semicolon + 1);
  while (rest.length > 0) {
    rest = rest.slice((WHITESPACE.exec(rest)?.[0] ?? '').length);
    const nameEnd = rest.search(/[;=]/);
    if (nameEnd < 0) break;
    const name = rest.slice(0, nameEnd).toLowerCase();
    if (rest[nameEnd] === ';') {
      rest = rest.slice(nameEnd + 1);
      continue;
    }
    rest = rest.slice(nameEnd + 1);
    let parameterValue: string;
    if (rest.startsWith('"')) {
      const parsed = readQuotedString(rest);
      parameterValue = parsed.value;
      const next = parsed.rest.indexOf(';');
      rest = next < 0 ? '' : parsed.rest.slice(next + 1);
    } else {
      const next = rest.indexOf(';');
      parameterValue = (next < 0 ? rest : rest.slice(0, next)).replace(/[ \t]+$/, '');
      rest = next < 0 ? '' : rest.slice(next + 1);
      if (!TOKEN.test(parameterValue)) continue;
    }
    if (TOKEN.test(name) && !parameters.has(name)) parameters.set(name, parameterValue);
  }
  return { essence: `${type}/${subtype}`.toLowerCase(), parameters };
}

/** A quoted-string at the start of `text`: its unescaped value (an unclosed one runs to the end) and what follows it. */
function readQuotedString(text: string): { value: string; rest: string } {
  let value = '';
  for (let index = 1; index < text.length; index += 1) {
    const character = text[index] as string;
    if (character === '"') return { value, rest: text.slice(index + 1) };
    if (character === '\\') index += 1;
    value += text[index] ?? '';
  }
  return { value, rest: '' };
}

/** The body type every GraphQL-over-HTTP server must accept for POST, and the only one Apollo Server's integrations parse (application/graphql-response+json is a response type). */
export const GRAPHQL_REQUEST_MEDIA_TYPE = 'application/json';

/** Whether a POST body with this `Content-Type` is a JSON GraphQL request we can read. */
export function isJsonRequestBody(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const mediaType = parseMediaType(contentType);
  if (mediaType?.essence !== GRAPHQL_REQUEST_MEDIA_TYPE) return false;
  // JSON is UTF-8 (RFC 8259 §8.1); a body declared in another charset would be misread.
  const charset = mediaType.parameters.get('charset')?.toLowerCase();
  return charset === undefined || charset === 'utf-8' || charset === 'utf8';
}
