/**
 * The stack the refusal benchmark runs against: the four real subgraphs on PostgreSQL
 * (fresh databases, demo data), each behind the bench proxy in `live` mode, which passes every
 * request through and counts it; our router, in the production profile with its default limits,
 * routed at the proxy. The router runs alone on core 0; subgraphs and proxy on core 1.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { findFreePort } from '@booking/infra';
import { SUBGRAPHS, startBenchSubgraphs } from '../routers/benchSubgraphs';
import { Teardown } from '../routers/harness';
import { graphqlAnswers, startPinned, startReplayProxyProcess } from '../routers/processes';
import { ROOT } from '../routers/routersUnderTest';


export interface RefusalStack {
  readonly routerUrl: string;
  readonly routerPid: number;
  /** Requests the subgraphs have received so far, all four together (counted by the proxy). */
  subgraphRequests(): Promise<number>;
  stop(): Promise<void>;
}

export interface StackOptions {
  readonly routerCore: number;
  readonly serviceCore: number;
  /** Where the router writes a V8 CPU profile (`node --cpu-prof`), when profiling. */
  readonly cpuProfileDir?: string;
}

export async function startRefusalStack(options: StackOptions): Promise<RefusalStack> {
  const teardown = new Teardown();
  try {
    const { ports, redisUrl, keyPrefix, secret } = await startBenchSubgraphs(teardown, { serviceCore: options.serviceCore, seedDemo: true });

    // The router's calls to the subgraphs (its own signature on them) pass through, counted.
    const proxy = await startReplayProxyProcess(options.serviceCore, {
      mode: 'live',
      targets: Object.fromEntries(SUBGRAPHS.map((name) => [name, `http://127.0.0.1:${ports[name]}/graphql`])),
    });
    teardown.add(() => proxy.process.stop());

    const routerPort = await findFreePort();
    const profile = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
    if (options.cpuProfileDir) mkdirSync(options.cpuProfileDir, { recursive: true });
    const router = startPinned({
      name: 'router',
      core: options.routerCore,
      nodeArgs: [...profile, resolve(ROOT, 'router', 'dist', 'main.js')],
      env: {
        // Production profile and default limits: nothing about protection is set here.
        NODE_ENV: 'production',
        PORT: String(routerPort),
        HOST: '127.0.0.1',
        ROUTER_SIGNING_SECRET: secret,
        REDIS_URL: redisUrl,
        EVENT_KEY_PREFIX: keyPrefix,
        JWKS_URL: `http://127.0.0.1:${ports.accounts}/.well-known/jwks.json`,
        SUPERGRAPH_WATCH: 'false',
        LOG_LEVEL: 'warn',
        ...Object.fromEntries(SUBGRAPHS.map((name) => [`${name.toUpperCase()}_URL`, `${proxy.url}/${name}`])),
      },
    });
    teardown.add(() => router.stop());
    const routerUrl = `http://127.0.0.1:${routerPort}/graphql`;
    await router.waitUntilReady(graphqlAnswers(routerUrl));

    return {
      routerUrl,
      routerPid: router.pid,
      async subgraphRequests() {
        const stats = (await (await fetch(`${proxy.url}/__bench/stats`)).json()) as { forwarded: number };
        return stats.forwarded;
      },
      stop: () => teardown.run(),
    };
  } catch (error) {
    await teardown.run();
    throw error;
  }
}
