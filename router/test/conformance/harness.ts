import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { createRouter, readRouterConfig, type Router } from '@booking/router';
import { graphql, parse } from 'graphql';

/** One subgraph of a conformance fixture: its SDL (with the federation @link) and resolvers. */
export interface SubgraphFixture {
  readonly name: string;
  readonly typeDefs: string;
  readonly resolvers: GraphQLResolverMap<unknown>;
  /** A subgraph that refuses some operations before running them (413 with a plain body), as a proxy with a body limit would. */
  readonly refuses?: (query: string) => boolean;
}

/** The federation 2 header every fixture subgraph starts with, importing what it uses. */
export function federation(...directives: string[]): string {
  return federationAt('2.7', ...directives);
}

/** The same header at another federation version (`@context` and `@fromContext` need 2.8). */
export function federationAt(version: string, ...directives: string[]): string {
  return `extend schema @link(url: "https://specs.apollo.dev/federation/v${version}", import: [${directives.map((name) => `"${name}"`).join(', ')}])\n`;
}

/** What a client gets back: the whole body, extensions included (valueCompletion lives there). */
export interface ConformanceResponse {
  readonly data?: Record<string, unknown> | null;
  readonly errors?: readonly { message: string; path?: readonly (string | number)[]; extensions?: Record<string, unknown> }[];
  readonly extensions?: Record<string, unknown>;
}

export type ExecutorName = 'router' | 'gateway';

interface IncrementalPart {
  readonly data?: Record<string, unknown> | null;
  readonly errors?: ConformanceResponse['errors'];
  readonly extensions?: Record<string, unknown>;
  readonly incremental?: readonly { data: Record<string, unknown> | null; path: readonly (string | number)[]; errors?: ConformanceResponse['errors'] }[];
}

/**
 * A multipart @defer answer (deferSpec=20220824) as one response, merged as Apollo Client
 * merges it: each entry's data into the object at its path, every part's errors kept.
 */
function mergedParts(body: string): ConformanceResponse {
  const parts = body
    .split('\r\n---')
    .map((part) => part.slice(part.indexOf('\r\n\r\n') + 4))
    .filter((part) => part.startsWith('{'))
    .map((part) => JSON.parse(part) as IncrementalPart);
  const first = parts[0] ?? {};
  const errors = [...(first.errors ?? [])];
  const data = first.data ?? null;
  for (const part of parts.slice(1)) {
    for (const entry of part.incremental ?? []) {
      errors.push(...(entry.errors ?? []));
      let target: unknown = data;
      for (const key of entry.path) target = target === null || typeof target !== 'object' ? undefined : (target as Record<string | number, unknown>)[key];
      if (target && typeof target === 'object' && entry.data) Object.assign(target, entry.data);
    }
  }
  return { data, ...(errors.length > 0 ? { errors } : {}), ...(first.extensions ? { extensions: first.extensions } : {}) };
}

/** A fixture's subgraphs on real HTTP, composed, behind one router per executor (all in this process). */
export interface RunningFixture {
  readonly supergraphSdl: string;
  /** Subgraph calls per subgraph name since the fixture started. */
  readonly calls: Record<string, number>;
  query(executor: ExecutorName, query: string, variables?: Record<string, unknown>): Promise<ConformanceResponse>;
  /**
   * What the router in front of our executor handed to @apollo/gateway so far
   * (router_gateway_requests_total by reason), and whether it had to build the gateway.
   */
  /** Whether a router on this executor starts with the fixture's supergraph at all. */
  startsOn(executor: ExecutorName): Promise<boolean>;
  handoffs(): Promise<{ readonly byReason: Readonly<Record<string, number>>; readonly gatewayBuilt: boolean }>;
  stop(): Promise<void>;
}

async function serveSubgraph(fixture: SubgraphFixture, calls: Record<string, number>): Promise<{ url: string; server: Server }> {
  const schema = buildSubgraphSchema({ typeDefs: parse(fixture.typeDefs), resolvers: fixture.resolvers });
  calls[fixture.name] = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      calls[fixture.name] += 1;
      const { query, variables, operationName } = JSON.parse(Buffer.concat(chunks).toString()) as { query: string; variables?: Record<string, unknown>; operationName?: string };
      if (fixture.refuses?.(query)) {
        response.writeHead(413, { 'content-type': 'text/plain' });
        response.end('request entity too large');
        return;
      }
      void graphql({ schema, source: query, variableValues: variables, operationName }).then((result) => {
        const body = JSON.stringify(result);
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        response.end(body);
      });
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, server };
}

/** Composes the fixture's subgraphs at their real URLs; a composition error fails the fixture loudly. */
export function composeFixture(subgraphs: readonly SubgraphFixture[], urls: Readonly<Record<string, string>>): string {
  const result = composeServices(subgraphs.map((subgraph) => ({ name: subgraph.name, url: urls[subgraph.name], typeDefs: parse(subgraph.typeDefs) })));
  if (result.errors) throw new Error(`fixture does not compose:\n${result.errors.map((error) => error.message).join('\n')}`);
  return result.supergraphSdl;
}

async function startRouter(supergraphPath: string, executor: ExecutorName, routerEnv: Readonly<Record<string, string>>): Promise<{ router: Router; url: string }> {
  const router = await createRouter(
    readRouterConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ROUTER_SIGNING_SECRET: 'conformance-signing-secret-of-at-least-32-chars',
      SUPERGRAPH_PATH: supergraphPath,
      SUPERGRAPH_WATCH: 'false',
      // No token is ever sent: the key set is never fetched.
      JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
      ROUTER_EXECUTOR: executor,
      // Fixture subgraphs answer at once; a retry would hide a wrong first answer.
      SUBGRAPH_RETRIES: '0',
      SUBGRAPH_BREAKER: 'false',
      SUBGRAPH_ERRORS: 'pass',
      ...routerEnv,
    }),
  );
  return { router, url: `${await router.listen()}/graphql` };
}

/**
 * Starts the fixture: subgraphs on free ports, the supergraph composed from them, the executors
 * in front (both, unless the gateway is known to refuse the supergraph). `routerEnv`: settings
 * of the routers beyond the suite's (QUERY_PLANNER=hive).
 */
export async function startFixture(
  subgraphs: readonly SubgraphFixture[],
  executors: readonly ExecutorName[] = ['router', 'gateway'],
  routerEnv: Readonly<Record<string, string>> = {},
): Promise<RunningFixture> {
  const calls: Record<string, number> = {};
  const servers = await Promise.all(subgraphs.map((subgraph) => serveSubgraph(subgraph, calls)));
  const directory = mkdtempSync(join(tmpdir(), 'conformance-'));
  const routers: Router[] = [];
  const stop = async () => {
    await Promise.all(routers.map((router) => router.close()));
    await Promise.all(servers.map(({ server }) => new Promise((closed) => server.close(closed))));
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    const supergraphSdl = composeFixture(subgraphs, Object.fromEntries(subgraphs.map((subgraph, index) => [subgraph.name, servers[index].url])));
    const supergraphPath = join(directory, 'supergraph.graphql');
    writeFileSync(supergraphPath, supergraphSdl);
    const urls: Record<ExecutorName, string> = { router: '', gateway: '' };
    const byExecutor: Partial<Record<ExecutorName, Router>> = {};
    for (const executor of executors) {
      const started = await startRouter(supergraphPath, executor, routerEnv);
      routers.push(started.router);
      urls[executor] = started.url;
      byExecutor[executor] = started.router;
    }
    return {
      supergraphSdl,
      calls,
      async query(executor, query, variables) {
        // An operation with @defer asks for parts as Apollo Client does; they are merged back.
        const accept: Record<string, string> = query.includes('@defer') ? { accept: 'multipart/mixed;deferSpec=20220824,application/json' } : {};
        if (!urls[executor]) throw new Error(`no ${executor} router runs for this fixture`);
        const response = await fetch(urls[executor], {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...accept },
          body: JSON.stringify({ query, variables }),
          signal: AbortSignal.timeout(10_000),
        });
        if (response.headers.get('content-type')?.startsWith('multipart/mixed')) return mergedParts(await response.text());
        return (await response.json()) as ConformanceResponse;
      },
      async startsOn(executor) {
        try {
          const started = await startRouter(supergraphPath, executor, routerEnv);
          await started.router.close();
          return true;
        } catch {
          return false;
        }
      },
      async handoffs() {
        const registry = byExecutor.router?.metrics?.registry;
        const requests = await registry?.getSingleMetric('router_gateway_requests_total')?.get();
        const built = await registry?.getSingleMetric('router_gateway_built')?.get();
        const byReason: Record<string, number> = {};
        for (const { labels, value } of requests?.values ?? []) byReason[String(labels.reason)] = value;
        return { byReason, gatewayBuilt: built?.values[0]?.value === 1 };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
