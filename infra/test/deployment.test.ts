/**
 * Static checks that docker-compose.yml, the postgres init script and the Kubernetes manifests
 * agree with the code: ports, routing URLs, the environment variables each service reads, and
 * one database and user per subgraph. Nothing is started; a mismatch would otherwise only show
 * up as a container that fails at start or a router that cannot reach a subgraph.
 *
 * Each test collects every disagreement as a sentence and expects none, so a failure lists
 * all of them at once, each naming the file, service and variable involved.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import {
  ConfigError,
  readSubgraphConfig,
  SUBGRAPH_PORTS,
  serviceNodeFlags,
  subgraphConfigSpec,
  variableNames,
  type SubgraphName,
} from '@booking/runtime';
import { authVariableNames, readAuthConfig } from '@booking/accounts';
import { readRouterConfig, routerConfigSpec, routerVariableNames, subgraphUrlVariable } from '@booking/router';
import { readSupergraphConfig } from '@booking/schema';

const ROOT = resolve(__dirname, '..', '..');
const ROUTER_PORT = 4000;
/**
 * Events, live updates and revoked sessions: every service that reads it must get it, and the
 * same one (a router on another Redis would never hear of a logout). The subgraphs require it
 * outside a one-process stack (EVENT_TRANSPORT=memory), which a deployment never is.
 */
const REDIS_URL = 'REDIS_URL';
const REDIS_PORT = 6379;

type Env = Record<string, string>;

/**
 * The standard OpenTelemetry variables every service's tracing reads (README "Traces"): the
 * OpenTelemetry SDK reads them itself, not our config parsers, so they are listed here. The
 * ones a deployment sets are checked for sense in "traces" below.
 */
const TRACING_VARIABLES = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  'OTEL_TRACES_EXPORTER',
  'OTEL_SERVICE_NAME',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_SDK_DISABLED',
  'OTEL_RESOURCE_ATTRIBUTES',
];

// ---------- what the code expects ----------

const supergraph = readSupergraphConfig();

function isSubgraphName(name: string): name is SubgraphName {
  return Object.prototype.hasOwnProperty.call(SUBGRAPH_PORTS, name);
}

const subgraphs = supergraph.subgraphs.map((entry) => {
  if (!isSubgraphName(entry.name)) throw new Error(`supergraph.yaml: subgraph ${entry.name} is not in SUBGRAPH_PORTS`);
  return { name: entry.name, port: SUBGRAPH_PORTS[entry.name], routingUrl: entry.routingUrl };
});

interface ServiceRules {
  readonly name: string;
  readonly port: number;
  /** Built entry point the container runs, and the source it is compiled from. */
  readonly mainFile: string;
  /** The Node.js options its command carries before the script (serviceNodeFlags): what the benchmarks measured. */
  readonly nodeFlags: readonly string[];
  readonly sourceFile: string;
  readonly allowed: readonly string[];
  readonly required: readonly string[];
  /** Problems the service's own config parser finds in the values (as it would at start). */
  readonly valueProblems: (env: Env) => string[];
  /** Its drain timings as its config parser reads them (defaults included). */
  readonly shutdown: (env: Env) => { readonly shutdownDrainMs: number; readonly shutdownDeadlineMs: number };
}

function configProblems(read: () => unknown): string[] {
  try {
    read();
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
}

/** The variables the Dockerfile's last stage (the image every service runs) sets with ENV. */
function dockerImageEnv(): Env {
  const dockerfile = readFileSync(resolve(ROOT, 'infra', 'docker', 'Dockerfile'), 'utf8');
  const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const env: Env = {};
  for (const match of runtimeStage.matchAll(/^ENV\s+((?:.*\\\n)*.*)$/gm)) {
    for (const pair of (match[1] ?? '').replace(/\\\n/g, ' ').trim().split(/\s+/)) {
      const [name = '', ...value] = pair.split('=');
      env[name] = value.join('=');
    }
  }
  return env;
}

/** The image sets NODE_ENV=production, so manifests are checked in the production profile. */
const IMAGE_ENV: Env = dockerImageEnv();

/** Where every Deployment serves /metrics (METRICS_PORT), the OpenTelemetry Prometheus exporter's usual port. */
const K8S_METRICS_PORT = 9464;

/** Variables one subgraph reads beyond every subgraph's own, and their parser. */
const OWN_CONFIG: Partial<Record<SubgraphName, { names: () => string[]; read: (env: Env) => unknown }>> = {
  accounts: { names: authVariableNames, read: readAuthConfig },
};

function subgraphRules(name: SubgraphName): ServiceRules {
  const spec = subgraphConfigSpec(name);
  const own = OWN_CONFIG[name];
  return {
    name,
    port: SUBGRAPH_PORTS[name],
    mainFile: `subgraphs/${name}/dist/src/main.js`,
    nodeFlags: serviceNodeFlags(name),
    sourceFile: `subgraphs/${name}/src/main.ts`,
    allowed: [...variableNames(spec), ...(own?.names() ?? []), ...TRACING_VARIABLES],
    required: [
      ...Object.values(spec)
        .filter((variable) => variable.fallback === undefined)
        .map((variable) => variable.name),
      REDIS_URL,
    ],
    valueProblems: (env) => [
      ...configProblems(() => readSubgraphConfig(name, { ...IMAGE_ENV, ...env })),
      ...(own ? configProblems(() => own.read({ ...IMAGE_ENV, ...env })) : []),
    ],
    shutdown: (env) => readSubgraphConfig(name, { ...IMAGE_ENV, ...env }),
  };
}

const routerRules: ServiceRules = {
  name: 'router',
  port: ROUTER_PORT,
  mainFile: 'router/dist/main.js',
  nodeFlags: serviceNodeFlags('router'),
  sourceFile: 'router/src/main.ts',
  allowed: [...routerVariableNames(), ...TRACING_VARIABLES],
  required: Object.values(routerConfigSpec)
    .filter((variable) => variable.fallback === undefined)
    .map((variable) => variable.name),
  valueProblems: (env) => configProblems(() => readRouterConfig({ ...IMAGE_ENV, ...env })),
  shutdown: (env) => readRouterConfig({ ...IMAGE_ENV, ...env }),
};

const allRules = [...subgraphs.map((subgraph) => subgraphRules(subgraph.name)), routerRules];

/** Variable names and values a service's environment must satisfy. */
function envProblems(where: string, rules: ServiceRules, env: Env): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(env)) {
    if (!rules.allowed.includes(name)) problems.push(`${where} sets ${name}, which ${rules.name} does not read`);
  }
  for (const name of rules.required) {
    if (env[name] === undefined) problems.push(`${where} does not set ${name}, which ${rules.name} requires`);
  }
  if (rules.allowed.includes(REDIS_URL) && !rules.required.includes(REDIS_URL) && env[REDIS_URL] === undefined) {
    problems.push(`${where} does not set ${REDIS_URL}, which ${rules.name} reads (without it, it runs without Redis)`);
  }
  if (env.EVENT_TRANSPORT === 'memory') problems.push(`${where} sets EVENT_TRANSPORT=memory, which keeps events in one process`);
  if (env.PORT !== String(rules.port)) problems.push(`${where} sets PORT=${env.PORT}, expected ${rules.port}`);
  problems.push(...rules.valueProblems(env).map((problem) => `${where}: ${problem}`));
  return problems;
}

/** The router must reach each subgraph by its service name on the subgraph's port. */
function routerUrlProblems(where: string, env: Env): string[] {
  return subgraphs.flatMap(({ name, port }) => {
    const variable = subgraphUrlVariable(name);
    const expected = `http://${name}:${port}/graphql`;
    return env[variable] === expected ? [] : [`${where} sets ${variable}=${env[variable]}, expected ${expected}`];
  });
}

function databaseUrlVariable(name: SubgraphName): string {
  return subgraphConfigSpec(name).databaseUrl.name;
}

/** No two subgraphs' <NAME>_DATABASE_URL may share a database or a user. */
function databaseUrlProblems(where: string, urls: ReadonlyMap<SubgraphName, string | undefined>): string[] {
  const problems: string[] = [];
  const owners = new Map<string, SubgraphName>();
  for (const [name, raw] of urls) {
    if (!raw || !URL.canParse(raw)) continue; // reported by the service's config parser
    const url = new URL(raw);
    for (const [kind, value] of [['database', url.pathname.slice(1)], ['user', url.username]] as const) {
      const other = owners.get(`${kind}:${value}`);
      if (other) problems.push(`${where}: ${name} and ${other} share the ${kind} "${value}"; each needs its own`);
      owners.set(`${kind}:${value}`, name);
    }
  }
  return problems;
}

/** Every service that reads REDIS_URL has the same one, on `host`:6379. */
function sharedRedisProblems(where: string, urls: ReadonlyMap<string, string | undefined>, host: string): string[] {
  const problems: string[] = [];
  const distinct = new Set([...urls.values()].filter((url): url is string => url !== undefined));
  if (distinct.size > 1) problems.push(`${where}: the services use ${distinct.size} different ${REDIS_URL}s; they must share one Redis`);
  for (const [service, raw] of urls) {
    if (!raw || !URL.canParse(raw)) continue; // missing or malformed: reported by envProblems
    const url = new URL(raw);
    if (url.hostname !== host || Number(url.port || REDIS_PORT) !== REDIS_PORT) {
      problems.push(`${where} ${service} connects to Redis at ${url.host}, expected ${host}:${REDIS_PORT}`);
    }
  }
  return problems;
}

/** The services whose config reads REDIS_URL (all five today), found from the code. */
const redisReaders = allRules.filter((rules) => rules.allowed.includes(REDIS_URL));

/** The subgraphs whose migrations create btree_gist, which only a superuser may do first. */
const btreeGistSubgraphs = subgraphs
  .map(({ name }) => name)
  .filter((name) => {
    const dir = resolve(ROOT, 'subgraphs', name, 'migrations');
    return readdirSync(dir).some((file) => /create extension if not exists btree_gist/i.test(readFileSync(resolve(dir, file), 'utf8')));
  });

// ---------- docker-compose.yml and the postgres init script ----------

interface ComposeService {
  build?: { context?: string; dockerfile?: string };
  image?: string;
  command?: string[];
  volumes?: string[];
  environment?: Record<string, unknown>;
  ports?: string[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] | string };
  stop_grace_period?: string;
}

// `merge` resolves the `<<: *service` keys, as docker compose does.
const compose = parse(readFileSync(resolve(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService | undefined>;
  volumes?: Record<string, unknown>;
};

function composeService(name: string): ComposeService {
  const service = compose.services[name];
  if (!service) throw new Error(`docker-compose.yml has no service "${name}"`);
  return service;
}

/** Compose rejects unquoted booleans and treats values as text; the code parses text. */
function composeEnv(name: string, problems: string[]): Env {
  const env: Env = {};
  for (const [key, value] of Object.entries(composeService(name).environment ?? {})) {
    if (typeof value !== 'string') problems.push(`docker-compose.yml ${name}.environment.${key} must be a quoted string`);
    env[key] = String(value);
  }
  return env;
}

function composeHealthcheckProblems(name: string, path: string, port: number): string[] {
  const test = composeService(name).healthcheck?.test;
  const command = Array.isArray(test) ? test.join(' ') : test ?? '';
  return command.includes(`:${port}${path}`)
    ? []
    : [`docker-compose.yml ${name}.healthcheck should probe :${port}${path}, got "${command}"`];
}

function dependsOnProblems(name: string, dependencies: readonly string[]): string[] {
  const dependsOn = composeService(name).depends_on ?? {};
  return dependencies
    .filter((dependency) => dependsOn[dependency]?.condition !== 'service_healthy')
    .map((dependency) => `docker-compose.yml ${name} should depend on ${dependency} being service_healthy`);
}

/** `node`, the service's Node.js options, its entry point: as the launcher and the benchmarks start it. */
function serviceCommand(rules: ServiceRules): string[] {
  return ['node', ...rules.nodeFlags, rules.mainFile];
}

function commandProblems(where: string, rules: ServiceRules, command: readonly string[] | undefined): string[] {
  const problems: string[] = [];
  const expected = serviceCommand(rules).join(' ');
  if (command?.join(' ') !== expected) problems.push(`${where} command is "${command?.join(' ')}", expected "${expected}"`);
  if (!existsSync(resolve(ROOT, rules.sourceFile))) {
    problems.push(`${where} runs ${rules.mainFile}, but its source ${rules.sourceFile} does not exist`);
  }
  return problems;
}

const initSql = readFileSync(resolve(ROOT, 'infra', 'docker', 'postgres-init.sql'), 'utf8');
const sqlUsers = new Map([...initSql.matchAll(/create user (\w+) with password '([^']*)'/gi)].map((m) => [m[1], m[2]]));
const sqlDatabases = new Map([...initSql.matchAll(/create database (\w+) owner (\w+)/gi)].map((m) => [m[1], m[2]]));

describe('docker-compose.yml', () => {
  test.each(subgraphs)('subgraph $name matches supergraph.yaml and its config', ({ name, port, routingUrl }) => {
    const rules = subgraphRules(name);
    const problems: string[] = [];
    const routingPort = Number(new URL(routingUrl).port);
    if (routingPort !== port) problems.push(`supergraph.yaml routes ${name} to port ${routingPort}, SUBGRAPH_PORTS says ${port}`);
    problems.push(...envProblems(`docker-compose.yml ${name}`, rules, composeEnv(name, problems)));
    problems.push(...commandProblems(`docker-compose.yml ${name}`, rules, composeService(name).command));
    problems.push(...composeHealthcheckProblems(name, '/ready', port));
    problems.push(...dependsOnProblems(name, ['postgres', 'redis']));
    expect(problems).toEqual([]);
  });

  test('router routes to each subgraph service and is published on 4000', () => {
    const problems: string[] = [];
    const env = composeEnv('router', problems);
    problems.push(...envProblems('docker-compose.yml router', routerRules, env));
    problems.push(...routerUrlProblems('docker-compose.yml router', env));
    problems.push(...commandProblems('docker-compose.yml router', routerRules, composeService('router').command));
    problems.push(...composeHealthcheckProblems('router', '/ready', ROUTER_PORT));
    problems.push(...dependsOnProblems('router', ['redis', ...subgraphs.map(({ name }) => name)]));
    const published = composeService('router').ports ?? [];
    if (!published.includes(`${ROUTER_PORT}:${ROUTER_PORT}`)) {
      problems.push(`docker-compose.yml router publishes ${JSON.stringify(published)}, expected "${ROUTER_PORT}:${ROUTER_PORT}"`);
    }
    expect(problems).toEqual([]);
  });

  test('every service of ours gets longer than its drain to stop before compose sends SIGKILL', () => {
    const problems: string[] = [];
    for (const rules of allRules) {
      const where = `docker-compose.yml ${rules.name}`;
      const { shutdownDrainMs, shutdownDeadlineMs } = rules.shutdown(composeEnv(rules.name, problems));
      // Compose's default is 10 s; the value is a duration such as "15s" (seconds only here).
      const grace = composeService(rules.name).stop_grace_period;
      const graceSeconds = grace === undefined ? 10 : /^(\d+)s$/.test(grace) ? Number(grace.slice(0, -1)) : NaN;
      if (!(graceSeconds * 1000 > shutdownDrainMs + shutdownDeadlineMs)) {
        problems.push(`${where} stop_grace_period ${grace ?? '10s (default)'} must exceed SHUTDOWN_DRAIN_MS ${shutdownDrainMs} + SHUTDOWN_DEADLINE_MS ${shutdownDeadlineMs}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('postgres and redis have healthchecks', () => {
    const probes: [service: string, probe: string][] = [
      ['postgres', 'pg_isready'],
      ['redis', 'redis-cli ping'],
    ];
    const problems = probes.flatMap(([name, probe]) => {
      const test = composeService(name).healthcheck?.test;
      const command = Array.isArray(test) ? test.join(' ') : test ?? '';
      return command.includes(probe) ? [] : [`docker-compose.yml ${name}.healthcheck should run ${probe}`];
    });
    expect(problems).toEqual([]);
  });

  test('each subgraph uses its own database and user, as created by postgres-init.sql', () => {
    const problems: string[] = [];
    const urls = new Map(subgraphs.map(({ name }) => [name, composeEnv(name, problems)[databaseUrlVariable(name)]]));
    problems.push(...databaseUrlProblems('docker-compose.yml', urls));
    for (const [name, raw] of urls) {
      if (!raw || !URL.canParse(raw)) continue; // reported by the service's config parser
      const url = new URL(raw);
      const database = url.pathname.slice(1);
      const where = `docker-compose.yml ${name}`;
      if (url.hostname !== 'postgres') problems.push(`${where} connects to host ${url.hostname}, expected the postgres service`);
      if (!sqlDatabases.has(database)) problems.push(`${where} uses database ${database}, which postgres-init.sql does not create`);
      else if (sqlDatabases.get(database) !== url.username) {
        problems.push(`${where} connects as ${url.username}, but postgres-init.sql makes ${sqlDatabases.get(database)} own ${database}`);
      }
      if (!sqlUsers.has(url.username)) problems.push(`${where} connects as ${url.username}, which postgres-init.sql does not create`);
      else if (sqlUsers.get(url.username) !== decodeURIComponent(url.password)) {
        problems.push(`${where} uses a different password for ${url.username} than postgres-init.sql`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('every service that reads REDIS_URL gets the one compose Redis', () => {
    const problems: string[] = [];
    const urls = new Map(redisReaders.map((rules) => [rules.name, composeEnv(rules.name, problems)[REDIS_URL]]));
    problems.push(...sharedRedisProblems('docker-compose.yml', urls, 'redis'));
    expect(problems).toEqual([]);
  });

  test('redis persists: append-only, on a named volume', () => {
    const redis = composeService('redis');
    const problems: string[] = [];
    const command = redis.command?.join(' ') ?? '';
    if (!/--appendonly yes/.test(command)) problems.push(`docker-compose.yml redis should run redis-server --appendonly yes, got "${command}"`);
    const data = (redis.volumes ?? []).find((volume) => volume.split(':')[1] === '/data');
    const volume = data?.split(':')[0];
    if (!volume || volume.startsWith('.') || volume.startsWith('/')) {
      problems.push(`docker-compose.yml redis should keep /data on a named volume, got ${JSON.stringify(redis.volumes)}`);
    } else if (!compose.volumes || !(volume in compose.volumes)) {
      problems.push(`docker-compose.yml redis uses volume ${volume}, which the top-level volumes do not declare`);
    }
    expect(problems).toEqual([]);
  });

  test('postgres-init.sql creates btree_gist in each database whose migrations need it', () => {
    // A migration cannot create it as the database owner; the superuser must first.
    expect(btreeGistSubgraphs).toEqual(expect.arrayContaining(['bookings', 'catalog']));
    const sections = new Map(
      initSql.split(/^\\connect /m).slice(1).map((section) => [section.split(/\s/, 1)[0], section] as const),
    );
    const missing = btreeGistSubgraphs.filter(
      (name) => !/create extension if not exists btree_gist;/i.test(sections.get(name) ?? ''),
    );
    expect(missing).toEqual([]);
  });
});

// ---------- docker-compose.yml: metrics, dashboards and traces ----------

const OBSERVABILITY_DIR = resolve(ROOT, 'infra', 'observability');

function readYaml<T>(path: string): T {
  return parse(readFileSync(path, 'utf8')) as T;
}

/** The services of ours, by compose service name, with the port they serve /metrics on. */
const ourServices = allRules.map((rules) => ({ name: rules.name, port: rules.port }));

const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];
const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'];

/**
 * The OTEL_* settings one service gets make sense: it exports to `endpoint` (the collector's
 * OTLP/HTTP receiver, as the default protocol is http/protobuf), names itself `serviceName`
 * (when set), and samples with a sampler the specification defines, its ratio within [0, 1].
 */
function tracingProblems(where: string, serviceName: string, env: Env, endpoint: string): string[] {
  const problems: string[] = [];
  if (env.OTEL_SDK_DISABLED === 'true') problems.push(`${where} sets OTEL_SDK_DISABLED=true: it exports no traces`);
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT !== endpoint) {
    problems.push(`${where} sets OTEL_EXPORTER_OTLP_ENDPOINT=${env.OTEL_EXPORTER_OTLP_ENDPOINT}, expected the collector at ${endpoint}`);
  }
  const protocol = env.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (protocol !== undefined && protocol !== 'http/protobuf' && protocol !== 'http/json') {
    problems.push(`${where} sets OTEL_EXPORTER_OTLP_PROTOCOL=${protocol}; ${endpoint} is the collector's OTLP/HTTP receiver (one of ${OTLP_PROTOCOLS.join(', ')} is valid, http/* for this port)`);
  }
  const name = env.OTEL_SERVICE_NAME;
  if (name !== undefined && name !== serviceName) problems.push(`${where} sets OTEL_SERVICE_NAME=${name}, expected ${serviceName}`);
  const sampler = env.OTEL_TRACES_SAMPLER;
  if (sampler !== undefined && !SAMPLERS.includes(sampler)) problems.push(`${where} sets OTEL_TRACES_SAMPLER=${sampler}, not one of ${SAMPLERS.join(', ')}`);
  if (sampler?.endsWith('traceidratio')) {
    const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG);
    if (env.OTEL_TRACES_SAMPLER_ARG === undefined || !(ratio >= 0 && ratio <= 1)) {
      problems.push(`${where} sets OTEL_TRACES_SAMPLER_ARG=${env.OTEL_TRACES_SAMPLER_ARG}, expected a ratio in [0, 1]`);
    }
  }
  return problems;
}

/** `host:port` of a receiver or exporter endpoint (`0.0.0.0:4318`, `jaeger:4317`, `http://x:4318`). */
function hostPort(endpoint: string | undefined): { host: string; port: number } | undefined {
  const match = /^(?:[a-z]+:\/\/)?([^:/]+):(\d+)/.exec(endpoint ?? '');
  return match ? { host: match[1] ?? '', port: Number(match[2]) } : undefined;
}

/** The container path a compose service mounts `hostPath` (relative to the repository) at. */
function mountOf(service: ComposeService, hostPath: string): string | undefined {
  for (const volume of service.volumes ?? []) {
    const [source = '', target] = volume.split(':');
    if (resolve(ROOT, source) === resolve(ROOT, hostPath)) return target;
  }
  return undefined;
}

/** Host ports a compose service publishes ("3000:3000" → 3000). */
function publishedPorts(service: ComposeService): number[] {
  return (service.ports ?? []).map((mapping) => Number(String(mapping).split(':').slice(-2)[0]));
}

interface PrometheusConfig {
  rule_files?: string[];
  scrape_configs?: { job_name: string; metrics_path?: string; static_configs?: { targets?: string[] }[] }[];
}

interface CollectorConfig {
  receivers?: Record<string, { protocols?: Record<string, { endpoint?: string } | null> } | null>;
  processors?: Record<string, unknown>;
  exporters?: Record<string, { endpoint?: string } | null>;
  extensions?: Record<string, unknown>;
  service?: { extensions?: string[]; pipelines?: Record<string, { receivers?: string[]; processors?: string[]; exporters?: string[] }> };
}

interface GrafanaDatasources {
  datasources?: { name: string; uid: string; type: string; url?: string }[];
}

interface GrafanaProviders {
  providers?: { name: string; type: string; options?: { path?: string } }[];
}

const prometheusConfig = readYaml<PrometheusConfig>(resolve(OBSERVABILITY_DIR, 'prometheus.yml'));
const collectorConfig = readYaml<CollectorConfig>(resolve(OBSERVABILITY_DIR, 'otel-collector.yaml'));
const grafanaDatasources = readYaml<GrafanaDatasources>(resolve(OBSERVABILITY_DIR, 'grafana', 'provisioning', 'datasources', 'datasources.yml'));
const grafanaProviders = readYaml<GrafanaProviders>(resolve(OBSERVABILITY_DIR, 'grafana', 'provisioning', 'dashboards', 'dashboards.yml'));

/** Jaeger all-in-one takes OTLP on these ports (gRPC, HTTP) when COLLECTOR_OTLP_ENABLED is not false. */
const JAEGER_OTLP_PORTS = { grpc: 4317, http: 4318 } as const;
const JAEGER_QUERY_PORT = 16686;
const PROMETHEUS_PORT = 9090;

/** The collector's OTLP/HTTP receiver port, where the services send their spans. */
function collectorHttpPort(): number | undefined {
  return hostPort(collectorConfig.receivers?.otlp?.protocols?.http?.endpoint ?? undefined)?.port;
}

describe('docker-compose.yml: metrics, dashboards and traces', () => {
  const observabilityImages = ['prometheus', 'grafana', 'otel-collector', 'jaeger'];

  test('the observability images are pinned to a full version', () => {
    const problems = observabilityImages.flatMap((name) => {
      const image = composeService(name).image ?? '';
      return /:v?\d+\.\d+\.\d+$/.test(image) ? [] : [`docker-compose.yml ${name} runs image "${image}", expected one pinned to x.y.z`];
    });
    expect(problems).toEqual([]);
  });

  test('prometheus scrapes /metrics of every service on its port and loads the alert rules', () => {
    const problems: string[] = [];
    const prometheus = composeService('prometheus');
    const configPath = prometheus.command?.find((arg) => arg.startsWith('--config.file='))?.slice('--config.file='.length);
    const mounted = mountOf(prometheus, 'infra/observability/prometheus.yml');
    if (!configPath || mounted !== configPath) problems.push(`docker-compose.yml prometheus mounts prometheus.yml at ${mounted}, but runs --config.file=${configPath}`);
    for (const ruleFile of prometheusConfig.rule_files ?? []) {
      // Relative rule files resolve against the config file's directory, in the container as here.
      const target = resolve(resolve(configPath ?? '/', '..'), ruleFile);
      if (mountOf(prometheus, `infra/observability/${ruleFile}`) !== target) problems.push(`prometheus.yml loads ${ruleFile}, which docker-compose.yml does not mount at ${target}`);
      if (!existsSync(resolve(OBSERVABILITY_DIR, ruleFile))) problems.push(`prometheus.yml loads ${ruleFile}, which infra/observability does not have`);
    }
    if (!(prometheusConfig.rule_files ?? []).includes('alerts.yml')) problems.push('prometheus.yml does not load alerts.yml');
    for (const { name, port } of ourServices) {
      const job = prometheusConfig.scrape_configs?.find((candidate) => candidate.job_name === name);
      const targets = job?.static_configs?.flatMap((config) => config.targets ?? []) ?? [];
      if (!job) problems.push(`prometheus.yml has no job ${name} (the dashboard and alerts select services by job)`);
      else if (!targets.includes(`${name}:${port}`)) problems.push(`prometheus.yml job ${name} scrapes ${JSON.stringify(targets)}, expected ${name}:${port}`);
      else if ((job.metrics_path ?? '/metrics') !== '/metrics') problems.push(`prometheus.yml job ${name} scrapes ${job.metrics_path}, expected /metrics`);
    }
    expect(problems).toEqual([]);
  });

  test('every service exports its traces to the collector, which exports them to Jaeger', () => {
    const problems: string[] = [];
    const port = collectorHttpPort();
    if (port === undefined) problems.push('otel-collector.yaml has no OTLP http receiver with an endpoint');
    const endpoint = `http://otel-collector:${port}`;
    for (const rules of allRules) {
      const where = `docker-compose.yml ${rules.name}`;
      const env = composeEnv(rules.name, problems);
      if (env.OTEL_SERVICE_NAME === undefined) problems.push(`${where} does not set OTEL_SERVICE_NAME`);
      problems.push(...tracingProblems(where, rules.name, env, endpoint));
      if (!composeService(rules.name).depends_on?.['otel-collector']) problems.push(`${where} does not depend on otel-collector`);
    }

    const collector = composeService('otel-collector');
    const configArg = collector.command?.find((arg) => arg.startsWith('--config='))?.slice('--config='.length);
    const mounted = mountOf(collector, 'infra/observability/otel-collector.yaml');
    if (!configArg || mounted !== configArg) problems.push(`docker-compose.yml otel-collector mounts otel-collector.yaml at ${mounted}, but runs --config=${configArg}`);
    for (const protocol of ['grpc', 'http'] as const) {
      const listen = hostPort(collectorConfig.receivers?.otlp?.protocols?.[protocol]?.endpoint ?? undefined);
      // The collector's default is localhost, which other containers cannot reach.
      if (listen?.host !== '0.0.0.0') problems.push(`otel-collector.yaml's OTLP ${protocol} receiver listens on ${listen?.host}, expected 0.0.0.0`);
    }

    const traces = collectorConfig.service?.pipelines?.traces;
    if (!traces) problems.push('otel-collector.yaml has no traces pipeline');
    if (!traces?.receivers?.includes('otlp')) problems.push('otel-collector.yaml: the traces pipeline does not receive from otlp');
    if (!traces?.processors?.includes('batch')) problems.push('otel-collector.yaml: the traces pipeline does not batch');
    for (const [kind, names, defined] of [
      ['receiver', traces?.receivers, collectorConfig.receivers],
      ['processor', traces?.processors, collectorConfig.processors],
      ['exporter', traces?.exporters, collectorConfig.exporters],
      ['extension', collectorConfig.service?.extensions, collectorConfig.extensions],
    ] as const) {
      for (const name of names ?? []) if (!defined || !(name in defined)) problems.push(`otel-collector.yaml uses ${kind} ${name}, which it does not define`);
    }
    const jaeger = composeService('jaeger');
    if (jaeger.environment?.COLLECTOR_OTLP_ENABLED === 'false') problems.push('docker-compose.yml jaeger turns its OTLP receiver off');
    const toJaeger = (traces?.exporters ?? []).filter((name) => {
      const target = hostPort(collectorConfig.exporters?.[name]?.endpoint);
      const expected = name.startsWith('otlphttp') ? JAEGER_OTLP_PORTS.http : JAEGER_OTLP_PORTS.grpc;
      return name.startsWith('otlp') && target?.host === 'jaeger' && target.port === expected;
    });
    if (toJaeger.length === 0) problems.push(`otel-collector.yaml's traces pipeline exports nothing to jaeger:${JAEGER_OTLP_PORTS.grpc} (OTLP/gRPC) or :${JAEGER_OTLP_PORTS.http} (otlphttp)`);
    if (!collector.depends_on?.jaeger) problems.push('docker-compose.yml otel-collector does not depend on jaeger');
    expect(problems).toEqual([]);
  });

  test('grafana is provisioned with the Prometheus and Jaeger datasources and the dashboard folder', () => {
    const problems: string[] = [];
    const grafana = composeService('grafana');
    if (mountOf(grafana, 'infra/observability/grafana/provisioning') !== '/etc/grafana/provisioning') {
      problems.push('docker-compose.yml grafana does not mount infra/observability/grafana/provisioning at /etc/grafana/provisioning');
    }
    const dashboardsAt = mountOf(grafana, 'infra/observability/grafana/dashboards');
    const providers = grafanaProviders.providers ?? [];
    if (providers.length === 0 || providers.some((provider) => provider.type !== 'file' || provider.options?.path !== dashboardsAt)) {
      problems.push(`dashboards.yml's providers read ${JSON.stringify(providers.map((provider) => provider.options?.path))}, but the dashboards are mounted at ${dashboardsAt}`);
    }
    const expected: Record<string, { host: string; port: number }> = {
      prometheus: { host: 'prometheus', port: PROMETHEUS_PORT },
      jaeger: { host: 'jaeger', port: JAEGER_QUERY_PORT },
    };
    for (const [type, target] of Object.entries(expected)) {
      const source = grafanaDatasources.datasources?.find((candidate) => candidate.type === type);
      const url = hostPort(source?.url);
      if (!source) problems.push(`datasources.yml has no ${type} datasource`);
      else if (url?.host !== target.host || url.port !== target.port) problems.push(`datasources.yml ${source.name} points at ${source.url}, expected http://${target.host}:${target.port}`);
    }
    if (!publishedPorts(grafana).includes(3000)) problems.push('docker-compose.yml grafana is not published on 3000');
    if (!composeService('jaeger').ports?.some((mapping) => String(mapping).endsWith(`:${JAEGER_QUERY_PORT}`))) problems.push(`docker-compose.yml jaeger does not publish its UI on ${JAEGER_QUERY_PORT}`);
    expect(problems).toEqual([]);
  });

  test('no two services publish the same host port', () => {
    const owners = new Map<number, string>();
    const problems: string[] = [];
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of publishedPorts(service ?? {})) {
        const other = owners.get(port);
        if (other) problems.push(`docker-compose.yml ${name} and ${other} both publish host port ${port}`);
        owners.set(port, name);
      }
    }
    expect(problems).toEqual([]);
  });
});

// ---------- infra/k8s ----------

interface Probe {
  httpGet?: { path?: string; port?: number | string };
  exec?: { command?: string[] };
  tcpSocket?: { port?: number | string };
}

interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  volumeMounts?: { name: string; mountPath: string }[];
  ports?: { name?: string; containerPort: number }[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { configMapKeyRef?: { name: string; key: string }; secretKeyRef?: { name: string; key: string } };
  }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command?: string[] }; sleep?: { seconds?: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    selector?: { matchLabels?: Record<string, string> } & Record<string, unknown>;
    template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: { containers: Container[]; terminationGracePeriodSeconds?: number } };
    ports?: { name?: string; port: number; targetPort?: number | string }[];
    clusterIP?: string;
    serviceName?: string;
    replicas?: number;
    volumeClaimTemplates?: { metadata: { name: string }; spec?: { resources?: { requests?: { storage?: string } } } }[];
  };
}

const K8S_DIR = resolve(ROOT, 'infra', 'k8s');
const manifests: { file: string; object: K8sObject }[] = readdirSync(K8S_DIR)
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(resolve(K8S_DIR, file), 'utf8')).map((document) => {
      if (document.errors.length > 0) throw new Error(`infra/k8s/${file}: ${document.errors[0]?.message}`);
      return { file, object: document.toJS() as K8sObject };
    }),
  );

function findObject(kind: string, name: string): K8sObject | undefined {
  return manifests.find(({ object }) => object.kind === kind && object.metadata.name === name)?.object;
}

/** Data of a ConfigMap or Secret (the example Secret stands in for the real one). */
function objectData(kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> | undefined {
  const object = findObject(kind, name);
  return object && { ...object.data, ...object.stringData };
}

/** The environment a container would get, resolving ConfigMap and Secret references. */
function containerEnv(where: string, container: Container, problems: string[]): Env {
  const env: Env = {};
  for (const source of container.envFrom ?? []) {
    const [kind, name] = source.configMapRef ? (['ConfigMap', source.configMapRef.name] as const) : (['Secret', source.secretRef?.name ?? ''] as const);
    const data = objectData(kind, name);
    if (!data) problems.push(`${where} takes envFrom ${kind} ${name}, which infra/k8s does not define`);
    Object.assign(env, data);
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.configMapKeyRef ?? variable.valueFrom?.secretKeyRef;
    if (!ref) {
      env[variable.name] = variable.value ?? '';
      continue;
    }
    const kind = variable.valueFrom?.configMapKeyRef ? 'ConfigMap' : 'Secret';
    const value = objectData(kind, ref.name)?.[ref.key];
    if (value === undefined) problems.push(`${where} ${variable.name} refers to ${kind} ${ref.name} key ${ref.key}, which is not defined`);
    env[variable.name] = value ?? '';
  }
  return env;
}

function probeProblems(where: string, probe: Probe | undefined, path: string, container: Container, port: number): string[] {
  const httpGet = probe?.httpGet;
  if (httpGet?.path !== path) return [`${where} should probe ${path}, got ${httpGet?.path}`];
  const target = typeof httpGet.port === 'string' ? container.ports?.find((p) => p.name === httpGet.port)?.containerPort : httpGet.port;
  return target === port ? [] : [`${where} probes port ${String(httpGet.port)}, which is not container port ${port}`];
}

/** Deployment + Service of one service; returns its container's resolved environment. */
function workloadProblems(rules: ServiceRules, problems: string[]): Env {
  const deployment = findObject('Deployment', rules.name);
  const service = findObject('Service', rules.name);
  if (!deployment) problems.push(`infra/k8s has no Deployment ${rules.name}`);
  if (!service) problems.push(`infra/k8s has no Service ${rules.name}`);
  const template = deployment?.spec?.template;
  const container = template?.spec.containers.find((candidate) => candidate.name === rules.name);
  if (!container) {
    if (deployment) problems.push(`Deployment ${rules.name} has no container named ${rules.name}`);
    return {};
  }
  const where = `Deployment ${rules.name}`;
  const containerPort = container.ports?.[0]?.containerPort;
  if (containerPort !== rules.port) problems.push(`${where} containerPort is ${containerPort}, expected ${rules.port}`);
  problems.push(...commandProblems(where, rules, container.command));
  problems.push(...probeProblems(`${where} readinessProbe`, container.readinessProbe, '/ready', container, rules.port));
  problems.push(...probeProblems(`${where} livenessProbe`, container.livenessProbe, '/health', container, rules.port));
  for (const kind of ['requests', 'limits'] as const) {
    const resources = container.resources?.[kind] ?? {};
    if (!resources.cpu || !resources.memory) problems.push(`${where} needs resources.${kind} for cpu and memory`);
  }

  // Prometheus' pod discovery finds every service by these annotations (README "Metrics"), on
  // the listener METRICS_PORT gives /metrics, apart from the port that serves clients.
  const annotations = template?.metadata?.annotations ?? {};
  const scrape = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(K8S_METRICS_PORT), 'prometheus.io/path': '/metrics' };
  const metricsPort = container.ports?.find((port) => port.name === 'metrics')?.containerPort;
  if (metricsPort !== K8S_METRICS_PORT) problems.push(`${where} names no containerPort "metrics" ${K8S_METRICS_PORT} (has ${metricsPort})`);
  const metricsPortVariable = container.env?.find((variable) => variable.name === 'METRICS_PORT')?.value;
  if (metricsPortVariable !== String(K8S_METRICS_PORT)) problems.push(`${where} sets METRICS_PORT=${metricsPortVariable}, expected ${K8S_METRICS_PORT}`);
  for (const [name, value] of Object.entries(scrape)) {
    if (annotations[name] !== value) problems.push(`${where} pod annotation ${name} is ${JSON.stringify(annotations[name])}, expected "${value}"`);
  }

  const labels = template?.metadata?.labels ?? {};
  const selector = service?.spec?.selector ?? {};
  if (service && Object.entries(selector).some(([key, value]) => labels[key] !== value)) {
    problems.push(`Service ${rules.name} selector ${JSON.stringify(selector)} does not match the pod labels ${JSON.stringify(labels)}`);
  }
  const servicePort = service?.spec?.ports?.[0];
  if (service && servicePort?.port !== rules.port) problems.push(`Service ${rules.name} port is ${servicePort?.port}, expected ${rules.port}`);
  const targetPort = servicePort?.targetPort;
  if (typeof targetPort === 'string' ? !container.ports?.some((p) => p.name === targetPort) : targetPort !== undefined && targetPort !== rules.port) {
    problems.push(`Service ${rules.name} targetPort ${String(targetPort)} is not the container's port`);
  }

  const env = containerEnv(where, container, problems);
  problems.push(...envProblems(where, rules, env));
  return env;
}

describe('infra/k8s', () => {
  test.each(allRules.map((rules) => ({ name: rules.name, rules })))('$name has a matching Deployment and Service', ({ rules }) => {
    const problems: string[] = [];
    const env = workloadProblems(rules, problems);
    if (rules === routerRules) problems.push(...routerUrlProblems('Deployment router', env));
    expect(problems).toEqual([]);
  });

  test('every Deployment drains gracefully: a preStop sleep, a termination grace longer than preStop + drain + deadline, a deadline no shorter than a request may take (/ready probes: above)', () => {
    const problems: string[] = [];
    const routerEnv = workloadProblems(routerRules, []);
    const router = readRouterConfig({ ...IMAGE_ENV, ...routerEnv });
    for (const rules of allRules) {
      const where = `Deployment ${rules.name}`;
      const env = workloadProblems(rules, []);
      const pod = findObject('Deployment', rules.name)?.spec?.template?.spec;
      const container = pod?.containers.find((candidate) => candidate.name === rules.name);
      if (!pod || !container) continue; // reported by "has a matching Deployment and Service"
      // Endpoints are removed while SIGTERM is already on its way: the pod keeps serving meanwhile.
      const preStop = container.lifecycle?.preStop;
      const sleepCommand = preStop?.exec?.command;
      const preStopSeconds = preStop?.sleep?.seconds ?? (sleepCommand?.[0] === 'sleep' && sleepCommand.length === 2 ? Number(sleepCommand[1]) : NaN);
      if (!(preStopSeconds > 0)) problems.push(`${where} needs a preStop sleep of a few seconds (exec ["sleep", "5"]), got ${JSON.stringify(preStop)}`);
      const { shutdownDrainMs, shutdownDeadlineMs } = rules.shutdown(env);
      // Kubernetes' default is 30 s; past it the kubelet sends SIGKILL, whatever is still in flight.
      const graceSeconds = pod.terminationGracePeriodSeconds ?? 30;
      const needed = (Number.isFinite(preStopSeconds) ? preStopSeconds : 0) + (shutdownDrainMs + shutdownDeadlineMs) / 1000;
      if (!(graceSeconds > needed)) {
        problems.push(`${where} terminationGracePeriodSeconds ${graceSeconds} must exceed preStop ${preStopSeconds} s + SHUTDOWN_DRAIN_MS ${shutdownDrainMs} + SHUTDOWN_DEADLINE_MS ${shutdownDeadlineMs} (${needed} s)`);
      }
      // A deadline shorter than a request may legitimately take cuts requests that would have been answered.
      const longestRequestMs = rules === routerRules ? router.requestTimeoutMs : router.subgraphTimeoutMs;
      const longestName = rules === routerRules ? 'ROUTER_REQUEST_TIMEOUT_MS' : "the router's SUBGRAPH_TIMEOUT_MS";
      if (shutdownDeadlineMs < longestRequestMs) problems.push(`${where} SHUTDOWN_DEADLINE_MS ${shutdownDeadlineMs} is shorter than ${longestName} ${longestRequestMs}`);
    }
    expect(problems).toEqual([]);
  });

  test('every object lives in the booking namespace', () => {
    const problems: string[] = [];
    if (!findObject('Namespace', 'booking')) problems.push('infra/k8s has no Namespace booking');
    for (const { file, object } of manifests) {
      if (object.kind !== 'Namespace' && object.metadata.namespace !== 'booking') {
        problems.push(`infra/k8s/${file}: ${object.kind} ${object.metadata.name} is in namespace ${object.metadata.namespace}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('every service that reads REDIS_URL gets the one cluster Redis, whose password it carries', () => {
    const problems: string[] = [];
    const urls = new Map(redisReaders.map((rules) => [rules.name, workloadProblems(rules, [])[REDIS_URL]]));
    for (const [name, url] of urls) if (url === undefined) problems.push(`Deployment ${name} does not set ${REDIS_URL}`);
    problems.push(...sharedRedisProblems('infra/k8s', urls, 'redis'));
    const password = objectData('Secret', 'redis')?.REDIS_PASSWORD;
    for (const [name, raw] of urls) {
      if (raw && URL.canParse(raw) && decodeURIComponent(new URL(raw).password) !== password) {
        problems.push(`Deployment ${name} ${REDIS_URL} does not carry the redis Secret's REDIS_PASSWORD (which the server requires)`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('redis is a StatefulSet that persists (append-only, on a volume claim) behind a Service on 6379', () => {
    const problems: string[] = [];
    const statefulSet = findObject('StatefulSet', 'redis');
    const container = statefulSet?.spec?.template?.spec.containers.find((candidate) => candidate.name === 'redis');
    if (!statefulSet || !container) {
      expect(['infra/k8s has no StatefulSet redis with a container named redis']).toEqual([]);
      return;
    }
    const args = [...(container.command ?? []), ...(container.args ?? [])].join(' ');
    if (!/--appendonly yes/.test(args)) problems.push(`StatefulSet redis should run with --appendonly yes, got "${args}"`);
    if (!/--maxmemory-policy noeviction/.test(args)) problems.push('StatefulSet redis must never evict (--maxmemory-policy noeviction): streams hold events');
    const dataDir = /--dir (\S+)/.exec(args)?.[1] ?? '/data';
    const claims = (statefulSet.spec?.volumeClaimTemplates ?? []).map((claim) => claim.metadata.name);
    const mount = container.volumeMounts?.find((candidate) => candidate.mountPath === dataDir);
    if (!mount || !claims.includes(mount.name)) {
      problems.push(`StatefulSet redis should mount a volumeClaimTemplate at its data directory ${dataDir}, got ${JSON.stringify(container.volumeMounts)} / ${JSON.stringify(claims)}`);
    }
    if (statefulSet.spec?.replicas !== 1) problems.push('StatefulSet redis should run one replica: the services take a single REDIS_URL');
    if (/--requirepass/.test(args) && !container.env?.some((variable) => variable.valueFrom?.secretKeyRef?.name === 'redis')) {
      problems.push('StatefulSet redis should take its password from the redis Secret');
    }
    if (!container.readinessProbe?.exec && !container.readinessProbe?.tcpSocket) problems.push('StatefulSet redis needs a readinessProbe');
    if (!container.livenessProbe) problems.push('StatefulSet redis needs a livenessProbe');
    for (const kind of ['requests', 'limits'] as const) {
      const resources = container.resources?.[kind] ?? {};
      if (!resources.cpu || !resources.memory) problems.push(`StatefulSet redis needs resources.${kind} for cpu and memory`);
    }
    const governing = statefulSet.spec?.serviceName;
    if (!governing || findObject('Service', governing)?.spec?.clusterIP !== 'None') {
      problems.push(`StatefulSet redis serviceName ${governing} should name a headless Service`);
    }
    const service = findObject('Service', 'redis');
    const labels = statefulSet.spec?.template?.metadata?.labels ?? {};
    if (!service) problems.push('infra/k8s has no Service redis for the services to connect to');
    else {
      if (Object.entries(service.spec?.selector ?? {}).some(([key, value]) => labels[key] !== value)) {
        problems.push('Service redis does not select the redis pods');
      }
      if (service.spec?.ports?.[0]?.port !== REDIS_PORT) problems.push(`Service redis port is ${service.spec?.ports?.[0]?.port}, expected ${REDIS_PORT}`);
    }
    expect(problems).toEqual([]);
  });

  test('secret.example.yaml gives each subgraph its own database and user', () => {
    const problems: string[] = [];
    if (!manifests.some(({ file, object }) => file === 'secret.example.yaml' && object.kind === 'Secret')) {
      problems.push('infra/k8s/secret.example.yaml should hold an example Secret');
    }
    const urls = new Map(
      subgraphs.map(({ name }) => [name, workloadProblems(subgraphRules(name), [])[databaseUrlVariable(name)]]),
    );
    problems.push(...databaseUrlProblems('infra/k8s', urls));
    expect(problems).toEqual([]);
  });
});

// ---------- infra/k8s: traces, and the Prometheus Operator objects ----------

/**
 * The collector the ConfigMaps point the services at: a Service otel-collector in namespace
 * observability, OTLP/HTTP on 4318 (infra/README.md "Traces in the cluster").
 */
const K8S_COLLECTOR_ENDPOINT = 'http://otel-collector.observability:4318';

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

/** Whether a Kubernetes label selector selects an object with these labels. */
function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpression = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const value = labels[key];
    if (operator === 'In') return value !== undefined && values.includes(value);
    if (operator === 'NotIn') return value === undefined || !values.includes(value);
    if (operator === 'Exists') return value !== undefined;
    return value === undefined;
  });
  return byLabel && byExpression;
}

interface OperatorObject {
  kind: string;
  apiVersion: string;
  metadata: { name: string; namespace?: string };
  spec?: {
    selector?: LabelSelector;
    namespaceSelector?: { matchNames?: string[]; any?: boolean };
    endpoints?: { port?: string; path?: string }[];
    groups?: unknown;
  };
}

/** Only with the Prometheus Operator's CRDs: kept out of infra/k8s/*.yaml, which every cluster applies. */
const OPERATOR_DIR = resolve(K8S_DIR, 'observability');
const operatorObjects: { file: string; object: OperatorObject }[] = readdirSync(OPERATOR_DIR)
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(resolve(OPERATOR_DIR, file), 'utf8')).map((document) => ({ file, object: document.toJS() as OperatorObject })),
  );

describe('infra/k8s: traces and the Prometheus Operator objects', () => {
  test('every Deployment exports its traces to the documented collector Service, with a sampler that makes sense', () => {
    const problems: string[] = [];
    for (const rules of allRules) {
      const env = workloadProblems(rules, []);
      problems.push(...tracingProblems(`Deployment ${rules.name}`, rules.name, env, K8S_COLLECTOR_ENDPOINT));
    }
    expect(problems).toEqual([]);
  });

  test('the ServiceMonitor scrapes /metrics on every service’s Service, by its named port', () => {
    const problems: string[] = [];
    const monitors = operatorObjects.filter(({ object }) => object.kind === 'ServiceMonitor').map(({ object }) => object);
    if (monitors.length !== 1) problems.push(`infra/k8s/observability should hold one ServiceMonitor, has ${monitors.length}`);
    const monitor = monitors[0];
    for (const rules of allRules) {
      const service = findObject('Service', rules.name);
      const labels = service?.metadata.labels ?? {};
      if (!monitor?.spec?.selector || !selects(monitor.spec.selector, labels)) {
        problems.push(`the ServiceMonitor does not select Service ${rules.name} (labels ${JSON.stringify(labels)})`);
      }
      const ports = service?.spec?.ports ?? [];
      for (const endpoint of monitor?.spec?.endpoints ?? []) {
        if (!ports.some((port) => port.name === endpoint.port && port.port === K8S_METRICS_PORT)) {
          problems.push(`the ServiceMonitor scrapes port "${endpoint.port}", which Service ${rules.name} does not name for ${K8S_METRICS_PORT}`);
        }
        if (endpoint.path !== '/metrics') problems.push(`the ServiceMonitor scrapes ${endpoint.path}, expected /metrics`);
      }
    }
    const namespaces = monitor?.spec?.namespaceSelector?.matchNames;
    if (!namespaces?.includes('booking')) problems.push(`the ServiceMonitor looks in namespaces ${JSON.stringify(namespaces)}, expected booking`);
    expect(problems).toEqual([]);
  });

  test('the PrometheusRule holds exactly the rules of infra/observability/alerts.yml', () => {
    const rule = operatorObjects.find(({ object }) => object.kind === 'PrometheusRule')?.object;
    const alerts = readYaml<{ groups: unknown }>(resolve(OBSERVABILITY_DIR, 'alerts.yml'));
    // Regenerate with the command at the top of infra/k8s/observability/prometheusrule.yaml.
    expect(rule?.spec?.groups).toEqual(alerts.groups);
  });

  test('both are Prometheus Operator objects in the booking namespace', () => {
    const problems = operatorObjects.flatMap(({ file, object }) => [
      ...(object.apiVersion === 'monitoring.coreos.com/v1' ? [] : [`infra/k8s/observability/${file}: ${object.kind} has apiVersion ${object.apiVersion}`]),
      ...(object.metadata.namespace === 'booking' ? [] : [`infra/k8s/observability/${file}: ${object.kind} is in namespace ${object.metadata.namespace}`]),
    ]);
    expect(problems).toEqual([]);
    expect(operatorObjects.map(({ object }) => object.kind).sort()).toEqual(['PrometheusRule', 'ServiceMonitor']);
  });
});

// ---------- the production profile ----------

/**
 * What NODE_ENV=production promises (README "Production posture"), as each service's config
 * reads its environment in the image: the production profile, no stack traces, subgraph errors
 * masked, and introspection and query plans off except where `sandboxAllowed` says (compose, for
 * Apollo Sandbox on a developer's machine).
 */
function postureProblems(where: string, rules: ServiceRules, containerEnv: Env, sandboxAllowed: boolean): string[] {
  const env = { ...IMAGE_ENV, ...containerEnv };
  const problems: string[] = [];
  try {
    if (rules === routerRules) {
      const config = readRouterConfig(env);
      if (config.profile !== 'production') problems.push(`${where} runs the router with NODE_ENV=${env.NODE_ENV}, not production`);
      if (config.subgraphErrors === 'pass') problems.push(`${where} passes subgraph error details to clients (SUBGRAPH_ERRORS=pass)`);
      if (config.introspection === true && !sandboxAllowed) problems.push(`${where} allows introspection (INTROSPECTION=true)`);
      if (config.exposeQueryPlan === true && !sandboxAllowed) problems.push(`${where} exposes query plans (EXPOSE_QUERY_PLAN=true)`);
    } else {
      const config = readSubgraphConfig(rules.name as SubgraphName, env);
      if (config.profile !== 'production') problems.push(`${where} runs ${rules.name} with NODE_ENV=${env.NODE_ENV}, not production`);
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Invalid values are reported by the service's own test above.
  }
  return problems;
}

describe('the image', () => {
  test("its default command is the router's, Node.js options included", () => {
    const dockerfile = readFileSync(resolve(ROOT, 'infra', 'docker', 'Dockerfile'), 'utf8');
    const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile.slice(dockerfile.lastIndexOf('\nFROM ')))?.[1];
    expect(cmd && (JSON.parse(cmd) as string[])).toEqual(serviceCommand(routerRules));
  });
});

describe('the production profile', () => {
  test('the image sets NODE_ENV=production', () => {
    expect(IMAGE_ENV.NODE_ENV).toBe('production');
  });

  test('every compose service of ours runs the image in the production profile (introspection and query plans kept for local use)', () => {
    const problems: string[] = [];
    for (const rules of allRules) {
      const where = `docker-compose.yml ${rules.name}`;
      const service = composeService(rules.name);
      if (service.build?.dockerfile !== 'infra/docker/Dockerfile') problems.push(`${where} is not built from infra/docker/Dockerfile`);
      problems.push(...postureProblems(where, rules, composeEnv(rules.name, problems), true));
    }
    expect(problems).toEqual([]);
  });

  test('every Deployment runs the image in the production profile, introspection and query plans off', () => {
    const problems: string[] = [];
    for (const rules of allRules) {
      const where = `Deployment ${rules.name}`;
      const image = findObject('Deployment', rules.name)?.spec?.template?.spec.containers.find((container) => container.name === rules.name)?.image;
      if (!image?.startsWith('booking-supergraph:')) problems.push(`${where} runs image ${image}, not booking-supergraph`);
      problems.push(...postureProblems(where, rules, workloadProblems(rules, []), false));
    }
    expect(problems).toEqual([]);
  });
});
