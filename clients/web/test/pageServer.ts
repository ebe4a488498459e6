import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { build, stop } from 'esbuild';

const CLIENT_ROOT = join(__dirname, '..');

export interface PageServer {
  /** `http://127.0.0.1:<port>`: an origin of its own, not the router's. */
  readonly origin: string;
  close(): Promise<void>;
}

/** The page's TypeScript (Apollo Client, graphql-ws, the generated operations) as one browser script. */
async function bundlePage(): Promise<string> {
  // esbuild runs a service process for its JS API; stopped once the one bundle is made.
  const result = await build({
    entryPoints: [join(CLIENT_ROOT, 'src', 'page.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    tsconfig: join(CLIENT_ROOT, 'tsconfig.json'),
    define: { 'process.env.NODE_ENV': '"production"' },
    write: false,
    logLevel: 'silent',
  }).finally(() => stop());
  const [script] = result.outputFiles;
  if (!script) throw new Error('esbuild wrote no bundle');
  return script.text;
}

/**
 * Serves the example page from a free port, as a frontend's dev server would: `/` and
 * `/page.js`, nothing else (404). Bundled once, at start.
 */
export async function startPageServer(): Promise<PageServer> {
  const files = new Map<string, { type: string; body: string }>([
    ['/', { type: 'text/html; charset=utf-8', body: readFileSync(join(CLIENT_ROOT, 'index.html'), 'utf8') }],
    ['/page.js', { type: 'text/javascript; charset=utf-8', body: await bundlePage() }],
  ]);
  const server: Server = createServer((request, response) => {
    const file = files.get(new URL(request.url ?? '/', 'http://page').pathname);
    response.writeHead(file ? 200 : 404, { 'content-type': file?.type ?? 'text/plain', 'cache-control': 'no-store' });
    response.end(file?.body ?? 'not found');
  });
  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(0, '127.0.0.1', listening);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the page server has no port');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  };
}
