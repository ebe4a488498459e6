/**
 * The three routers the benchmark compares, all single-process, all pinned to the router core,
 * all serving the same supergraph file: ours, plain @apollo/gateway on @apollo/server, and
 * Hive Gateway.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { processTree } from './procStats';
import { findFreePort } from '@booking/infra';
import { graphqlAnswers, startPinned, type BenchProcess } from './processes';

export const ROOT = resolve(__dirname, '..', '..', '..');
const BENCH = resolve(ROOT, 'bench');

export type RouterId = 'ours' | 'apollo' | 'hive';

export const ROUTER_LABELS: Record<RouterId | 'floor', string> = {
  floor: 'floor (straight at the subgraph)',
  ours: 'booking-supergraph router',
  apollo: '@apollo/gateway + @apollo/server',
  hive: 'Hive Gateway',
};

export interface RouterUnderTest {
  readonly id: RouterId;
  readonly url: string;
  /** The router's processes (Hive may fork), read when a load run starts. */
  pids(): number[];
  stop(): Promise<void>;
}

export interface RouterLaunch {
  readonly supergraphPath: string;
  readonly core: number;
  /** Environment of our router beyond port and supergraph (secrets, JWKS). */
  readonly oursEnv: NodeJS.ProcessEnv;
  /** Directory for our router's CPU profile, when profiling. */
  readonly cpuProfileDir?: string;
}

/** Subgraph URL overrides in our environment would bypass the shared supergraph file. */
function withoutSubgraphOverrides(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !/^[A-Z]+_URL$/.test(name) || name === 'JWKS_URL'));
}

async function launch(id: RouterId, options: RouterLaunch): Promise<RouterUnderTest> {
  const port = await findFreePort();
  const env = { ...withoutSubgraphOverrides(process.env), NODE_ENV: 'production' };
  let process_: BenchProcess;
  if (id === 'ours') {
    const profile = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
    if (options.cpuProfileDir) mkdirSync(options.cpuProfileDir, { recursive: true });
    process_ = startPinned({
      name: 'ours',
      core: options.core,
      nodeArgs: [...profile, resolve(ROOT, 'router', 'dist', 'main.js')],
      env: {
        ...env,
        ...options.oursEnv,
        PORT: String(port),
        SUPERGRAPH_PATH: options.supergraphPath,
        SUPERGRAPH_WATCH: 'false',
        // BENCH_OURS_LOG_LEVEL=info measures the request log lines (one per request) too.
        LOG_LEVEL: process.env.BENCH_OURS_LOG_LEVEL ?? 'warn',
      },
    });
  } else if (id === 'apollo') {
    process_ = startPinned({
      name: 'apollo',
      core: options.core,
      nodeArgs: [resolve(BENCH, 'dist', 'routers', 'peers', 'apolloGateway.js'), options.supergraphPath, String(port)],
      env,
    });
  } else {
    process_ = startPinned({
      name: 'hive',
      core: options.core,
      cwd: BENCH,
      nodeArgs: [
        resolve(BENCH, 'node_modules', '@graphql-hive', 'gateway', 'dist', 'bin.js'),
        'supergraph',
        options.supergraphPath,
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--fork',
        '1',
        '--jit',
        '--disable-websockets',
        '-c',
        resolve(BENCH, 'dist', 'routers', 'peers', 'hiveGateway.config.js'),
      ],
      env,
    });
  }
  const url = `http://127.0.0.1:${port}/graphql`;
  await process_.waitUntilReady(graphqlAnswers(url));
  return { id, url, pids: () => processTree(process_.pid), stop: () => process_.stop() };
}

export async function launchRouters(options: RouterLaunch): Promise<RouterUnderTest[]> {
  const routers: RouterUnderTest[] = [];
  try {
    for (const id of ['ours', 'apollo', 'hive'] as const) routers.push(await launch(id, options));
    return routers;
  } catch (error) {
    await Promise.all(routers.map((router) => router.stop()));
    throw error;
  }
}
