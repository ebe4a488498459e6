import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from '@booking/runtime';
import { loadIdeAssets, type IdeAsset } from './graphiqlAssets';
import { contentSecurityPolicy, type PageSources } from './contentSecurityPolicy';

/**
 * Everything GraphiQL needs comes from the router itself: scripts and styles are its own files
 * ('self', no inline code), GraphiQL's stylesheet embeds its fonts as `data:` URLs, and it
 * talks only to this endpoint (`connect-src 'self'`, which covers the page's own ws:// origin
 * too). No `'unsafe-eval'`: none of the bundles evaluates strings.
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

export interface GraphiqlPage {
  readonly html: string;
  readonly headers: Readonly<Record<string, string>>;
  /** One exact path per asset: nothing else under /ide/ is served, nothing is read per request. */
  readonly routes: Readonly<Record<string, Route>>;
}

const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

function render(styles: readonly IdeAsset[], scripts: readonly IdeAsset[]): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>booking-supergraph · GraphiQL</title>',
    // No icon: without this line the browser asks for /favicon.ico (a 404 in its console).
    '<link rel="icon" href="data:,">',
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
    html: render(styles, scripts),
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': contentSecurityPolicy(GRAPHIQL_PAGE_SOURCES, { scriptHashes: [], styleHashes: [] }),
      // The page names its assets by content: always revalidated, so a new router's page is seen.
      'cache-control': 'no-cache',
      'referrer-policy': 'no-referrer',
    },
    routes: Object.fromEntries([...styles, ...scripts].map((asset) => [asset.path, assetRoute(asset)])),
  };
}
