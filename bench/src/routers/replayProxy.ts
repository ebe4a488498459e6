/**
 * Stands between every router under test and the subgraphs, so the router's own cost is what
 * the benchmark measures. In `replay` mode the first answer to each distinct request body is
 * recorded from the real subgraph and every later identical request is answered from memory
 * (mutations always go through); in `live` mode everything goes through. Requests that carry no
 * router signature (the peer routers know nothing of ours) are signed for the bench viewer,
 * so every router sees the same data.
 *
 * Run as its own process: node replayProxy.js '<ProxyOptions as JSON>'.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { routerCallSigner, ROUTER_HEADERS, type Viewer } from '@booking/runtime';

export interface ProxyOptions {
  readonly port: number;
  readonly mode: 'replay' | 'live';
  /** Subgraph name → its real URL; served here at /<name>. */
  readonly targets: Readonly<Record<string, string>>;
  readonly signingSecret?: string;
  readonly viewer?: Viewer;
}

export interface RecordedRequest {
  readonly subgraph: string;
  readonly body: string;
}

interface Recorded {
  readonly status: number;
  readonly body: Buffer;
}

const FORWARDED_HEADERS = ['content-type', 'accept', ...Object.values(ROUTER_HEADERS)];

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/**
 * The replay key: the body without its operation name. Routers name subgraph operations after
 * the client's (`Novel_7__catalog__1`), so requests that differ only in that name are one
 * recording; everything that shapes the answer (selections, aliases, variables) stays in.
 */
export function replayKey(subgraph: string, body: string): string {
  return `${subgraph}\n${body.replace(/"operationName":"[^"]*"/, '"operationName":""').replace(/^(\{"query":"(?:query|mutation)) [_A-Za-z][_0-9A-Za-z]*/, '$1')}`;
}

function isMutation(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as { query?: unknown };
    return typeof parsed.query === 'string' && /^\s*mutation\b/.test(parsed.query);
  } catch {
    return false;
  }
}

export function startReplayProxy(options: ProxyOptions): Promise<{ close(): Promise<void> }> {
  const recorded = new Map<string, Recorded>();
  /** The distinct bodies seen, in order: the harness aims its floor load with them. */
  const seen = new Map<string, RecordedRequest>();
  const stats = { hits: 0, misses: 0, forwarded: 0 };

  async function forward(subgraph: string, request: IncomingMessage, body: Buffer): Promise<Recorded> {
    const target = options.targets[subgraph] as string;
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    if (!headers[ROUTER_HEADERS.signature] && options.signingSecret) {
      Object.assign(headers, routerCallSigner(options.signingSecret, options.viewer ?? null).request(subgraph, body));
    }
    stats.forwarded += 1;
    const response = await fetch(target, { method: 'POST', headers, body });
    return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = request.url ?? '/';
    if (url === '/__bench/stats') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...stats, recorded: recorded.size }));
      return;
    }
    if (url === '/__bench/requests') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([...seen.values()]));
      return;
    }
    const subgraph = url.slice(1).split('?')[0] ?? '';
    if (!(subgraph in options.targets) || request.method !== 'POST') {
      response.writeHead(404).end();
      return;
    }
    const body = await readBody(request);
    const text = body.toString('utf8');
    const key = replayKey(subgraph, text);
    if (!seen.has(key)) seen.set(key, { subgraph, body: text });
    let answer = options.mode === 'replay' ? recorded.get(key) : undefined;
    if (answer) {
      stats.hits += 1;
    } else {
      stats.misses += 1;
      answer = await forward(subgraph, request, body);
      if (options.mode === 'replay' && answer.status === 200 && !isMutation(text)) recorded.set(key, answer);
    }
    response.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': answer.body.length }).end(answer.body);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ errors: [{ message: `bench proxy: ${message}`, extensions: { code: 'BENCH_PROXY' } }] }));
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) =>
    server.listen(options.port, '127.0.0.1', () =>
      resolve({ close: () => new Promise<void>((done) => server.close(() => done())) }),
    ),
  );
}

if (require.main === module) {
  const options = JSON.parse(process.argv[2] ?? '{}') as ProxyOptions;
  startReplayProxy(options).then(
    () => process.stdout.write(`replay proxy (${options.mode}) on 127.0.0.1:${options.port}\n`),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
