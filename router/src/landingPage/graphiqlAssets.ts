import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { IDE_SCRIPT, IDE_STYLE } from './graphiqlBootstrap';

/** One file the GraphiQL page loads from the router itself: its URL path, type, bytes and SRI hash. */
export interface IdeAsset {
  readonly path: string;
  readonly contentType: string;
  readonly body: Buffer;
  /** Subresource Integrity (`sha384-…`): the page's `integrity` attribute for it. */
  readonly integrity: string;
}

/**
 * A prebuilt browser file inside an npm package the router depends on, pinned by version and by
 * its SRI hash: a different file under that name (another version installed, a tampered
 * node_modules) stops the router at start instead of being served.
 */
export interface VendoredFile {
  readonly packageName: string;
  readonly version: string;
  readonly file: string;
  readonly contentType: string;
  readonly integrity: string;
}

const JAVASCRIPT = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/**
 * GraphiQL 3's UMD build (one file, CodeMirror 5 inside) needs React 18 and ReactDOM as globals;
 * React 19 ships no UMD build, and GraphiQL 4/5 are ESM only (Monaco with web workers), which
 * would need a bundler at build time. graphql-ws is the router's own server library, whose
 * package also ships a browser build (global `graphqlWs`). Load order matters: React first.
 */
export const VENDORED_FILES: readonly VendoredFile[] = [
  {
    packageName: 'react',
    version: '18.3.1',
    file: 'umd/react.production.min.js',
    contentType: JAVASCRIPT,
    integrity: 'sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z',
  },
  {
    packageName: 'react-dom',
    version: '18.3.1',
    file: 'umd/react-dom.production.min.js',
    contentType: JAVASCRIPT,
    integrity: 'sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1',
  },
  {
    packageName: 'graphql-ws',
    version: '6.0.6',
    file: 'umd/graphql-ws.min.js',
    contentType: JAVASCRIPT,
    integrity: 'sha384-L1uJSNgAjZOt7z6iPU+1qyztx98nQKw6uivIFC4oPZlOoimpFurLFG/Ysyo4BkAp',
  },
  {
    packageName: 'graphiql',
    version: '3.9.0',
    file: 'graphiql.min.js',
    contentType: JAVASCRIPT,
    integrity: 'sha384-8NGfVj4CVlqHajlZj+bPJT4thxPMHMJYn7DWK2CvtopLd02E7qsPHazniBYvVjOO',
  },
  {
    packageName: 'graphiql',
    version: '3.9.0',
    file: 'graphiql.min.css',
    contentType: CSS,
    integrity: 'sha384-QMux00XgRtwRLSYIY3kw2rj1ovk5AuuliAchk+HSQbqdbGFnz9GYuqIlOqxhwCE2',
  },
];

export const sriOf = (body: Buffer | string): string => `sha384-${createHash('sha384').update(body).digest('base64')}`;

/** Content-addressed: a changed file gets a new URL, so browsers may cache every URL for good. */
function assetPath(name: string, body: Buffer): string {
  return `/ide/${createHash('sha256').update(body).digest('hex').slice(0, 16)}/${name}`;
}

export function readVendored(vendored: VendoredFile): IdeAsset {
  // Through package.json: these packages' `exports` do not expose their UMD files to require.
  const manifestPath = require.resolve(`${vendored.packageName}/package.json`);
  const { version } = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: string };
  if (version !== vendored.version) {
    throw new Error(`LANDING_PAGE=graphiql: ${vendored.packageName} ${version} is installed, the IDE pins ${vendored.version} (router/src/landingPage/graphiqlAssets.ts)`);
  }
  const body = readFileSync(join(dirname(manifestPath), vendored.file));
  const integrity = sriOf(body);
  if (integrity !== vendored.integrity) {
    throw new Error(`LANDING_PAGE=graphiql: ${vendored.packageName}/${vendored.file} is not the file the IDE pins (${integrity}, expected ${vendored.integrity})`);
  }
  const name = vendored.file.slice(vendored.file.lastIndexOf('/') + 1);
  return { path: assetPath(name, body), contentType: vendored.contentType, body, integrity };
}

function ownAsset(name: string, contentType: string, text: string): IdeAsset {
  const body = Buffer.from(text, 'utf8');
  return { path: assetPath(name, body), contentType, body, integrity: sriOf(body) };
}

/** What the page loads: its stylesheets, then its scripts in order (the page's own last). */
export interface IdeAssets {
  readonly styles: readonly IdeAsset[];
  readonly scripts: readonly IdeAsset[];
}

/** Read once at start (about 2.5 MB, kept in memory): serving never touches the file system. */
export function loadIdeAssets(): IdeAssets {
  const vendored = VENDORED_FILES.map(readVendored);
  return {
    styles: [...vendored.filter((asset) => asset.contentType === CSS), ownAsset('ide.css', CSS, IDE_STYLE)],
    scripts: [...vendored.filter((asset) => asset.contentType === JAVASCRIPT), ownAsset('ide.js', JAVASCRIPT, IDE_SCRIPT)],
  };
}
