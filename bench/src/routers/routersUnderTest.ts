/**
 * The routers the benchmark compares, all single-process, all pinned to the router core, all
 * serving the same supergraph file: ours, plain @apollo/gateway on @apollo/server, Hive Gateway,
 * and Hive Gateway with the Rust query planner (@graphql-hive/router-runtime). Our router also
 * comes in variants for measuring what a feature costs (issues 10-12).
 * BENCH_ROUTERS picks the targets (default: ours,apollo,hive,hive-rust).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { processTree } from './procStats';
import { findFreePort } from '@booking/infra';
import { ROUTER_NODE_FLAGS } from '@booking/runtime';
import { OPERATION_LIMITS_OFF } from '@booking/router/dist/config';
import { graphqlAnswers, startPinned, type BenchProcess } from './processes';

export const ROOT = resolve(__dirname, '..', '..', '..');
const BENCH = resolve(ROOT, 'bench');

export type OurVariant = 'ours' | 'ours-off' | 'ours-on' | 'ours-bare' | 'ours-metrics' | 'ours-traced-1' | 'ours-traced-100' | 'ours-unguarded' | 'ours-unshed' | 'ours-cached' | 'ours-v8-young' | 'ours-unbatched' | 'ours-plan-batched' | 'ours-before';
export type RouterId = OurVariant | 'apollo' | 'hive' | 'hive-rust';
const ROUTER_IDS: readonly RouterId[] = ['ours', 'ours-off', 'ours-on', 'ours-bare', 'ours-metrics', 'ours-traced-1', 'ours-traced-100', 'ours-unguarded', 'ours-unshed', 'ours-cached', 'ours-v8-young', 'ours-unbatched', 'ours-plan-batched', 'ours-before', 'apollo', 'hive', 'hive-rust'];

export const ROUTER_LABELS: Record<RouterId | 'floor', string> = {
  floor: 'floor (straight at the subgraph)',
  ours: 'booking-supergraph router',
  'ours-off': 'booking-supergraph router, protection stages off',
  'ours-on': 'booking-supergraph router, protection stages on (rate limit never trips)',
  'ours-bare': 'booking-supergraph router, metrics and tracing off',
  'ours-metrics': 'booking-supergraph router, metrics on, tracing off',
  'ours-traced-1': 'booking-supergraph router, metrics on, tracing 1 % to a local receiver',
  'ours-traced-100': 'booking-supergraph router, metrics on, tracing 100 % to a local receiver',
  'ours-unguarded': 'booking-supergraph router, subgraph circuit breakers and retries off',
  'ours-unshed': 'booking-supergraph router, load shedding off (MAX_CONCURRENT_REQUESTS=0)',
  'ours-cached': 'booking-supergraph router, entity cache on (ENTITY_CACHE=on, the workload\'s Redis)',
  'ours-v8-young': "booking-supergraph router, V8's default young generation (without ROUTER_NODE_FLAGS)",
  'ours-unbatched': 'booking-supergraph router, one call per entity fetch (SUBGRAPH_BATCHING=off)',
  'ours-plan-batched': 'booking-supergraph router, only entity fetches started in one plan step share a call (SUBGRAPH_BATCHING=plan)',
  'ours-before': 'booking-supergraph router as built in BENCH_OURS_BEFORE (an earlier commit), run as BENCH_OURS_BEFORE_AS (default: ours)',
  apollo: '@apollo/gateway + @apollo/server',
  hive: 'Hive Gateway',
  'hive-rust': 'Hive Gateway + Rust query planner',
};

export interface RouterUnderTest {
  readonly id: RouterId;
  readonly url: string;
  /** The router's processes (Hive may fork), read when a load run starts. */
  pids(): number[];
  stop(): Promise<void>;
  /**
   * Stops the router's process and starts a new one in its place, on the same port
   * (BENCH_FRESH_ROUTERS): a process sometimes runs all its remaining rounds much slower than
   * another of the same build, so a comparison of variants one process each can show a cost
   * that is that process's, not the variant's.
   */
  restart(): Promise<void>;
}

export interface RouterLaunch {
  readonly supergraphPath: string;
  readonly core: number;
  /** Environment of our router beyond port and supergraph (secrets, JWKS). */
  readonly oursEnv: NodeJS.ProcessEnv;
  /** Directory for our router's CPU profile, when profiling. */
  readonly cpuProfileDir?: string;
  /** The deployment's Redis, for our router (revoked sessions, APQ, rate limits). */
  readonly redisUrl: string;
  /** Where the traced variants' trace receiver runs (the service core). */
  readonly serviceCore: number;
}

export const isOurs = (id: string): id is OurVariant => id === 'ours' || id.startsWith('ours-');

/** The variant BENCH_CPU_PROFILE profiles: BENCH_PROFILE_TARGET, or the first of ours measured. */
export function profiledVariant(): OurVariant | undefined {
  const wanted = process.env.BENCH_PROFILE_TARGET;
  if (wanted && isOurs(wanted)) return wanted;
  return benchRouters().find(isOurs);
}

/** Whether this run measures workload A's `deferred` operation (see its `optIn`). */
function measuresDefer(): boolean {
  return (process.env.BENCH_OPERATIONS ?? '').split(',').some((id) => id.trim() === 'deferred');
}

export function benchRouters(): RouterId[] {
  const names = (process.env.BENCH_ROUTERS ?? 'ours,apollo,hive,hive-rust').split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of names) {
    if (!ROUTER_IDS.includes(name as RouterId)) throw new Error(`BENCH_ROUTERS: unknown router "${name}" (known: ${ROUTER_IDS.join(', ')})`);
  }
  return names as RouterId[];
}

/**
 * A budget no bench run spends in a window (workload B's query is estimated at 24,420 units and
 * runs 200 times a second: 3·10^8 a minute), and a cost limit no bench operation reaches.
 */
const GENEROUS = '1000000000000';

/**
 * What each of our variants changes over the production defaults. `ours-on` keeps the limits at
 * their defaults but the cost limit generous (workload B's supergraph declares no @listSize and
 * estimates over the default), turns APQ on and counts every request in a Redis rate limit whose
 * budget never runs out, so the round trip is paid and nothing is refused.
 */
/** The production profile rate-limits wherever it has a Redis: the bench's one caller would spend a real budget in seconds. */
const NEVER_TRIPS: NodeJS.ProcessEnv = {
  RATE_LIMIT_QUERY_POINTS: GENEROUS,
  RATE_LIMIT_MUTATION_POINTS: GENEROUS,
  RATE_LIMIT_SUBSCRIPTION_POINTS: GENEROUS,
};

function variantEnv(id: OurVariant, otlpEndpoint: string | undefined): NodeJS.ProcessEnv {
  // The V8-flags variant differs from `ours` by its command line only.
  if (id === 'ours-before') return variantEnv(beforeAs(), otlpEndpoint);
  if (id === 'ours' || id === 'ours-v8-young') return {};
  // Issue 11's variants: metrics and tracing off; metrics alone; metrics and tracing at 1 % and
  // 100 % of requests, exported to the benchmark's receiver (otlpSink.ts) on the service core.
  if (id === 'ours-bare') return { METRICS: 'false' };
  if (id === 'ours-metrics') return { METRICS: 'true' };
  if (id === 'ours-traced-1' || id === 'ours-traced-100') {
    if (!otlpEndpoint) throw new Error(`the ${id} variant needs the trace receiver`);
    return {
      METRICS: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: id === 'ours-traced-1' ? '0.01' : '1',
      // BENCH_TRACED_ENV (JSON) takes apart where tracing's cost goes, e.g.
      // {"OTEL_TRACES_SAMPLER_ARG":"0"} (no span sampled) or {"OTEL_BSP_MAX_QUEUE_SIZE":"64"}.
      ...(JSON.parse(process.env.BENCH_TRACED_ENV ?? '{}') as NodeJS.ProcessEnv),
    };
  }
  // Issue 12's circuit breakers and retries, off (`ours` has them on, as production does).
  if (id === 'ours-unguarded') return { SUBGRAPH_BREAKER: 'false', SUBGRAPH_RETRIES: '0' };
  // Issue 12's load shedding stage, off (`ours` caps in-flight requests at the default 1000).
  if (id === 'ours-unshed') return { MAX_CONCURRENT_REQUESTS: '0' };
  // Issue 12's entity cache, on, in the Redis the workload's subgraphs publish their
  // invalidations on (REDIS_URL above); `ours` runs with it off.
  if (id === 'ours-cached') return { ENTITY_CACHE: 'on' };
  // Entity fetch batching (SUBGRAPH_BATCHING): off, and merged per plan step rather than per event-loop turn.
  if (id === 'ours-unbatched') return { SUBGRAPH_BATCHING: 'off' };
  if (id === 'ours-plan-batched') return { SUBGRAPH_BATCHING: 'plan' };
  if (id === 'ours-off') {
    return {
      ...OPERATION_LIMITS_OFF,
      PERSISTED_QUERIES: 'off',
      RATE_LIMIT: 'false',
    };
  }
  return { MAX_OPERATION_COST: GENEROUS, PERSISTED_QUERIES: 'apq', RATE_LIMIT: 'true' };
}

/**
 * BENCH_OURS_NODE_ARGS: more Node options for every process of our router (space-separated),
 * to look inside one without changing what is measured elsewhere, e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/profiles` with BENCH_FRESH_ROUTERS=1 (a profile per process and round).
 */
function extraNodeArgs(): string[] {
  return (process.env.BENCH_OURS_NODE_ARGS ?? '').split(' ').filter((arg) => arg.length > 0);
}

/**
 * BENCH_OURS_WRAPPER: a command our router's processes run under (space-separated, between
 * taskset and node), e.g. `setarch x86_64 -R` to start every process with the same address
 * layout when looking for why processes of one build settle at different speeds.
 */
function commandWrapper(): string[] | undefined {
  const words = (process.env.BENCH_OURS_WRAPPER ?? '').split(' ').filter((word) => word.length > 0);
  return words.length > 0 ? words : undefined;
}

/**
 * BENCH_OURS_BEFORE_AS: which of our variants `ours-before` runs as (its environment; default
 * `ours`), so any variant can be set against the earlier build, e.g. `ours-traced-1` for what a
 * change to the tracing path saved. The report sets that variant against `ours-before`.
 */
export function beforeAs(): OurVariant {
  const variant = process.env.BENCH_OURS_BEFORE_AS ?? 'ours';
  if (!isOurs(variant) || variant === 'ours-before') throw new Error(`BENCH_OURS_BEFORE_AS: not one of our variants: "${variant}"`);
  return variant;
}

/**
 * Where a variant's router starts. `ours-before` is another checkout's build (BENCH_OURS_BEFORE:
 * its root, with `npm install` and `npx tsc -b` done there), for "no operation slower than
 * before": measured side by side with `ours`, both draw the same moments of this machine.
 */
function ourRouterEntry(id: OurVariant): string {
  if (id !== 'ours-before') return resolve(ROOT, 'router', 'dist', 'main.js');
  const before = process.env.BENCH_OURS_BEFORE;
  if (!before) throw new Error('the ours-before variant needs BENCH_OURS_BEFORE: the root of an earlier checkout, installed and built');
  return resolve(before, 'router', 'dist', 'main.js');
}

/** Subgraph URL overrides in our environment would bypass the shared supergraph file. */
function withoutSubgraphOverrides(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !/^[A-Z]+_URL$/.test(name) || name === 'JWKS_URL'));
}

async function launch(id: RouterId, options: RouterLaunch, otlpEndpoint: string | undefined): Promise<RouterUnderTest> {
  const port = await findFreePort();
  let current = await startRouterProcess(id, options, otlpEndpoint, port);
  return {
    id,
    url: `http://127.0.0.1:${port}/graphql`,
    pids: () => processTree(current.pid),
    stop: () => current.stop(),
    restart: async () => {
      await current.stop();
      current = await startRouterProcess(id, options, otlpEndpoint, port);
    },
  };
}

/** One process of a router under test, answering on `port` once it returns. */
async function startRouterProcess(id: RouterId, options: RouterLaunch, otlpEndpoint: string | undefined, port: number): Promise<BenchProcess> {
  const env = { ...withoutSubgraphOverrides(process.env), NODE_ENV: 'production' };
  let process_: BenchProcess;
  if (isOurs(id)) {
    const profiled = options.cpuProfileDir && profiledVariant() === id;
    const profile = profiled ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
    if (profiled && options.cpuProfileDir) mkdirSync(options.cpuProfileDir, { recursive: true });
    process_ = startPinned({
      name: id,
      core: options.core,
      wrapper: callgrindWrapper(id) ?? commandWrapper(),
      // Under callgrind V8 runs its background work (concurrent compilation, marking, sweeping)
      // on the main thread: on helper threads it lands in whichever round it happens to, and
      // moved a lookup's count by ±30 % between rounds of one process.
      // The command line a deployment runs (ROUTER_NODE_FLAGS), but for the variant that measures it.
      nodeArgs: [
        ...(id === 'ours-v8-young' ? [] : ROUTER_NODE_FLAGS),
        ...profile,
        ...extraNodeArgs(),
        ...(callgrindWrapper(id) ? ['--single-threaded'] : []),
        ourRouterEntry(id),
      ],
      // Exactly this environment: no subgraph URL of the bench's own reaches it. Like a
      // deployment it has a Redis (revoked sessions, APQ, and, in the production profile, rate
      // limits: with budgets the bench's one caller never spends).
      envIsComplete: true,
      env: {
        ...env,
        ...options.oursEnv,
        REDIS_URL: options.redisUrl,
        ...NEVER_TRIPS,
        ...variantEnv(id, otlpEndpoint),
        ...(callgrindWrapper(id) ? SLOW_PROCESS_TIMEOUTS : {}),
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
    // Both Hive targets are the same gateway; `hive-rust` swaps in the Rust planner's runtime
    // through its config file (peers/hiveRouterRuntime.config.ts) and runs without `--jit`, as
    // The Guild's benchmark runs it: graphql-jit executes the schema's own resolvers, which the
    // router runtime does not use, and every root field came back null with no error.
    const rust = id === 'hive-rust';
    process_ = startPinned({
      name: id,
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
        ...(rust ? [] : ['--jit']),
        '--disable-websockets',
        '-c',
        resolve(BENCH, 'dist', 'routers', 'peers', rust ? 'hiveRouterRuntime.config.js' : 'hiveGateway.config.js'),
      ],
      // The `deferred` operation is measured only when named; Hive serves @defer only then.
      env: { ...env, BENCH_HIVE_DEFER_STREAM: measuresDefer() ? '1' : '0' },
    });
  }
  const url = `http://127.0.0.1:${port}/graphql`;
  try {
    // Under valgrind a router starts tens of times slower.
    await process_.waitUntilReady(graphqlAnswers(url), callgrindWrapper(id) ? 600_000 : undefined);
  } catch (error) {
    await process_.stop();
    throw error;
  }
  return process_;
}

/**
 * With BENCH_CALLGRIND_DIR set (instructions.ts), each of our variants runs under callgrind with
 * instrumentation off until the measurement turns it on: instruction counts, unlike seconds, do
 * not move with what else the machine does.
 */
/**
 * Under valgrind a request takes 50 times longer: the deadlines that production sets for a
 * Redis call or a subgraph call would expire and count a different path than the one measured.
 */
const SLOW_PROCESS_TIMEOUTS: NodeJS.ProcessEnv = {
  RATE_LIMIT_REDIS_TIMEOUT_MS: '600000',
  ENTITY_CACHE_REDIS_TIMEOUT_MS: '600000',
  SUBGRAPH_TIMEOUT_MS: '600000',
  ROUTER_REQUEST_TIMEOUT_MS: '600000',
};

export function callgrindWrapper(id: RouterId): string[] | undefined {
  const dir = process.env.BENCH_CALLGRIND_DIR;
  if (!dir || !isOurs(id)) return undefined;
  return ['valgrind', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${resolve(dir, `${id}.%p`)}`];
}

/** The trace receiver, when a traced variant is measured; stopped with the routers. */
async function startOtlpSink(core: number): Promise<{ readonly endpoint: string; stop(): Promise<void> }> {
  const port = await findFreePort();
  const sink = startPinned({ name: 'otlp-sink', core, nodeArgs: [resolve(__dirname, 'otlpSink.js'), String(port)] });
  const endpoint = `http://127.0.0.1:${port}`;
  await sink.waitUntilReady(async () => (await fetch(`${endpoint}/stats`)).ok);
  return { endpoint, stop: () => sink.stop() };
}

/**
 * What failed, from a start error carrying the process's last output lines: the first line (exited
 * or timed out) and the lines naming an error, without the banner and stack frames around them.
 */
function whyNotStarted(error: unknown): string {
  const [first = '', ...output] = (error instanceof Error ? error.message : String(error)).split('\n');
  const errors = output.filter((line) => /error|cannot|failed|invalid/i.test(line) && !/^\S*\|?\s+at /.test(line));
  return [first, ...(errors.length > 0 ? errors : output.slice(-3))].join(' ').slice(0, 600);
}

export interface LaunchedRouters {
  readonly routers: RouterUnderTest[];
  /** Peers that did not start, with why (the end of their output): reported, not measured. */
  readonly notStarted: ReadonlyMap<RouterId, string>;
}

export async function launchRouters(options: RouterLaunch): Promise<LaunchedRouters> {
  const routers: RouterUnderTest[] = [];
  const notStarted = new Map<RouterId, string>();
  const ids = benchRouters();
  const traced = (id: RouterId) => id.startsWith('ours-traced-') || (id === 'ours-before' && beforeAs().startsWith('ours-traced-'));
  const sink = ids.some(traced) ? await startOtlpSink(options.serviceCore) : undefined;
  try {
    for (const id of ids) {
      try {
        routers.push(await launch(id, options, sink?.endpoint));
      } catch (error) {
        // A peer that cannot run here is a finding for the report; our router not starting is a
        // failure of the run.
        if (isOurs(id)) throw error;
        notStarted.set(id, `did not start: ${whyNotStarted(error)}`);
      }
    }
    if (routers.length === 0) throw new Error(`no router started: ${[...notStarted.values()].join('; ')}`);
    // The receiver goes with the first router stopped (the routers are stopped together).
    if (sink && routers[0]) {
      const first = routers[0];
      routers[0] = { ...first, stop: async () => Promise.all([first.stop(), sink.stop()]).then(() => undefined) };
    }
    return { routers, notStarted };
  } catch (error) {
    await Promise.all([...routers.map((router) => router.stop()), sink?.stop()]);
    throw error;
  }
}
