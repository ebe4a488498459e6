import { createHash } from 'node:crypto';

/**
 * Where a page may load each kind of resource from (CSP source expressions: origins,
 * `'self'`). Anything not listed is refused: the policy starts from `default-src 'none'`.
 */
export interface PageSources {
  readonly scripts: readonly string[];
  readonly styles: readonly string[];
  readonly fonts: readonly string[];
  readonly images: readonly string[];
  readonly manifests: readonly string[];
  readonly frames: readonly string[];
  /** fetch/XHR/WebSocket targets. */
  readonly connect: readonly string[];
}

/** The inline `<script>` and `<style>` elements a page may run, each allowed by its hash. */
export interface InlineCode {
  readonly scriptHashes: readonly string[];
  readonly styleHashes: readonly string[];
}

const INLINE_SCRIPT = /<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi;
const INLINE_STYLE = /<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi;
const HAS_SRC = /\bsrc\s*=/i;

/** A CSP hash source: sha256 of the element's text exactly as served (CSP 3, 'hash-source'). */
export function hashSource(code: string): string {
  return `'sha256-${createHash('sha256').update(code, 'utf8').digest('base64')}'`;
}

/**
 * The page's inline scripts and styles as hash sources. Hashes rather than a nonce: the page
 * may come from a renderer that makes its own nonce (Apollo Server's landing page does, and
 * offers no way to pass one in), and a hash allows exactly the code that was served, nothing
 * else that a nonce-bearing injection might add.
 */
export function inlineCodeOf(html: string): InlineCode {
  const scriptHashes = new Set<string>();
  const styleHashes = new Set<string>();
  for (const [, attributes = '', code = ''] of html.matchAll(INLINE_SCRIPT)) {
    if (!HAS_SRC.test(attributes)) scriptHashes.add(hashSource(code));
  }
  for (const [, code = ''] of html.matchAll(INLINE_STYLE)) styleHashes.add(hashSource(code));
  return { scriptHashes: [...scriptHashes], styleHashes: [...styleHashes] };
}

const directive = (name: string, sources: readonly string[]) => `${name} ${sources.length > 0 ? sources.join(' ') : "'none'"}`;

/**
 * A Content-Security-Policy for one HTML page: nothing by default, then only the listed
 * sources and the page's own inline code. No plugins, no `<base>` rewriting, no form posts, and
 * no framing by other sites (clickjacking).
 */
export function contentSecurityPolicy(sources: PageSources, inline: InlineCode): string {
  return [
    "default-src 'none'",
    directive('script-src', [...inline.scriptHashes, ...sources.scripts]),
    directive('style-src', [...inline.styleHashes, ...sources.styles]),
    directive('font-src', sources.fonts),
    directive('img-src', sources.images),
    directive('manifest-src', sources.manifests),
    directive('frame-src', sources.frames),
    directive('connect-src', sources.connect),
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
