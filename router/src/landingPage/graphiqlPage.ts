import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from '@booking/runtime/dist/router';
import { loadIdeAssets, type IdeAsset } from './graphiqlAssets';
import { contentSecurityPolicy, type PageSources } from './contentSecurityPolicy';

/**
 * Everything GraphiQL needs comes from the router itself: scripts and styles are its own files
 * ('self', no inline code), GraphiQL's stylesheet embeds its fonts as `data:` URLs, and it
 * talks only to this endpoint (`connect-src 'self'`, which covers the page's own ws:// origin
 * too). No `'unsafe-eval'`: none of the bundles evaluates strings. No `'unsafe-inline'` either:
 * the one `<style>` element GraphiQL makes at run time (its dialogs lock the page's scroll bar
 * with react-remove-scroll-bar, whose stylesheet holds the measured scroll bar width, so no hash
 * can name it) carries the page's nonce, which ide.js hands to it.
 */
export const GRAPHIQL_PAGE_SOURCES: PageSources = {
  scripts: ["'self'"],
  styles: ["'self'"],
  fonts: ['data:'],
  images: ["'self'", 'data:'],
  manifests: [],
  frames: [],
  connect: ["'self'"],
};

/** One response of the page: its HTML and headers, with a nonce of its own. */
export interface RenderedPage {
  readonly html: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface GraphiqlPage {
  /** A fresh style nonce per response, so a nonce seen once is worth nothing. */
  render(): RenderedPage;
  /** One exact path per asset: nothing else under /ide/ is served, nothing is read per request. */
  readonly routes: Readonly<Record<string, Route>>;
}

const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

function html(styles: readonly IdeAsset[], scripts: readonly IdeAsset[], nonce: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>booking-supergraph · GraphiQL</title>',
    // No icon: without this line the browser asks for /favicon.ico (a 404 in its console).
    '<link rel="icon" href="data:,">',
    // Read by ide.js as the element's nonce property (browsers hide the attribute from CSS and
    // getAttribute) and handed to the styles GraphiQL creates (webpack's __webpack_nonce__).
    `<meta name="style-nonce" nonce="${nonce}">`,
    ...styles.map((asset) => `<link rel="stylesheet" href="${escapeAttribute(asset.path)}" integrity="${asset.integrity}">`),
    '</head>',
    '<body>',
    '<div id="graphiql">Loading GraphiQL…</div>',
    ...scripts.map((asset) => `<script src="${escapeAttribute(asset.path)}" integrity="${asset.integrity}"></script>`),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** A year, immutable: an asset's URL names its content, so a new version is a new URL. */
const ASSET_CACHE = 'public, max-age=31536000, immutable';

function assetRoute(asset: IdeAsset): Route {
  return (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
      return;
    }
    response.writeHead(200, { 'content-type': asset.contentType, 'content-length': asset.body.length, 'cache-control': ASSET_CACHE });
    response.end(request.method === 'HEAD' ? undefined : asset.body);
  };
}

/** The GraphiQL page and its assets, read and checked once (a mismatching file stops the start). */
export function graphiqlPage(): GraphiqlPage {
  const { styles, scripts } = loadIdeAssets();
  return {
    render() {
      const nonce = randomBytes(16).toString('base64');
      const sources = { ...GRAPHIQL_PAGE_SOURCES, styles: [...GRAPHIQL_PAGE_SOURCES.styles, `'nonce-${nonce}'`] };
      return {
        html: html(styles, scripts, nonce),
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': contentSecurityPolicy(sources, { scriptHashes: [], styleHashes: [] }),
          // A nonce per response: never stored (the assets it names are cached, by their content).
          'cache-control': 'no-store',
          'referrer-policy': 'no-referrer',
        },
      };
    },
    routes: Object.fromEntries([...styles, ...scripts].map((asset) => [asset.path, assetRoute(asset)])),
  };
}
