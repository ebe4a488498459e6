/**
 * `npm start`: the whole supergraph on one machine with nothing installed first. A real
 * PostgreSQL (embedded, under .data/) unless database URLs are given, migrations and demo
 * data, the four subgraphs and the router as child processes; Ctrl-C stops all of it. A child
 * that dies is restarted with backoff (see SupervisedService); only one that keeps dying stops
 * the stack.
 *
 * Every child runs in a process group of its own, so a terminal's Ctrl-C reaches this process
 * only, and the stack stops in order: the router, then the subgraphs, then Redis and
 * PostgreSQL, so no service loses its database while it is still shutting down. Should this
 * process be killed outright, the reaper (groupReaper.ts) stops the children instead.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import {
  DEFAULT_LOG_BUFFER_BYTES,
  LogOutput,
  parse,
  readConfig,
  SUBGRAPH_NAMES,
  SUBGRAPH_PORTS,
  serviceNodeFlags,
  variable,
  ConfigError,
  type SubgraphName,
  type VariableSpec,
} from '@booking/runtime';
import { ensureDatabases } from './databases';
import { persistedEncryptionKey } from './encryptionKey';
import { startEmbeddedPostgres, type RunningPostgres } from './embeddedPostgres';
import { startInProcessStack } from './inProcessStack';
import { isPortFree } from './ports';
import { secondsSince, step, untilAll } from './progress';
import { redisServerOnPath, startRedisServer, type RunningRedis } from './redisServer';
import { DEFAULT_RESTART_POLICY, SupervisedService } from './supervisor';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');

const launcherSpec = {
  dataDir: variable('DATA_DIR', 'where embedded PostgreSQL keeps its files', parse.text, () => resolve(REPO_ROOT, '.data')),
  embeddedPostgresPort: variable('EMBEDDED_POSTGRES_PORT', 'port of the embedded PostgreSQL', parse.port, () => 54329),
  adminDatabaseUrl: variable<string | null>(
    'DATABASE_URL',
    'an existing PostgreSQL server (any database) in which to create one database per subgraph',
    parse.postgresUrl,
    () => null,
  ),
  databasePrefix: variable('DATABASE_NAME_PREFIX', 'prefix of the per-subgraph database names', parse.text, () => 'booking_'),
  routerPort: variable('ROUTER_PORT', 'port of the router', parse.port, () => 4000),
  redisUrl: variable<string | null>('REDIS_URL', 'an existing Redis for event streams', parse.redisUrl, () => null),
  embeddedRedisPort: variable('EMBEDDED_REDIS_PORT', 'port of the redis-server started under DATA_DIR', parse.port, () => 63790),
  eventTransport: variable<'auto' | 'memory'>(
    'EVENT_TRANSPORT',
    '"memory" runs everything in one process with in-memory event streams (no Redis needed)',
    (raw) => {
      if (raw !== 'auto' && raw !== 'memory') throw new Error('must be auto or memory');
      return raw;
    },
    () => 'auto',
  ),
  seedDemo: variable('SEED_DEMO', 'insert demo data', parse.boolean, () => true),
  routerSigningSecret: variable(
    'ROUTER_SIGNING_SECRET',
    'router ↔ subgraph signing secret (a fresh random one per run when unset)',
    parse.secret,
    () => randomBytes(32).toString('hex'),
  ),
  signingKeyEncryptionKey: variable<string | null>(
    'SIGNING_KEY_ENCRYPTION_KEY',
    "encrypts accounts' signing private keys at rest (generated once into DATA_DIR when unset)",
    parse.text,
    () => null,
  ),
  logLevel: variable('LOG_LEVEL', 'log level of every service', parse.logLevel, () => 'info'),
  restartMaxCrashes: variable(
    'RESTART_MAX_CRASHES',
    'crashes of one service within RESTART_WINDOW_SECONDS after which the stack stops',
    parse.positiveInt,
    () => DEFAULT_RESTART_POLICY.maxCrashes,
  ),
  restartWindowSeconds: variable(
    'RESTART_WINDOW_SECONDS',
    'window in which RESTART_MAX_CRASHES crashes stop the stack',
    parse.positiveInt,
    () => DEFAULT_RESTART_POLICY.windowMs / 1000,
  ),
};

function subgraphSpecs() {
  return Object.fromEntries(
    SUBGRAPH_NAMES.flatMap((name) => [
      [`${name}Port`, variable(`${name.toUpperCase()}_PORT`, `port of ${name}`, parse.port, () => SUBGRAPH_PORTS[name])],
      [
        `${name}DatabaseUrl`,
        variable<string | null>(`${name.toUpperCase()}_DATABASE_URL`, `database of ${name}`, parse.postgresUrl, () => null),
      ],
    ]),
  ) as Record<string, VariableSpec<number | string | null>>;
}

/**
 * How long a service may take to become ready on its first start. Generous: on a busy machine
 * migrations, demo data and the router's first schema load take a while, and the launcher
 * says every 10 s what it is still waiting for and, at the deadline, why.
 */
const SUBGRAPH_READY_DEADLINE_MS = 120_000;
const ROUTER_READY_DEADLINE_MS = 60_000;

/**
 * Every service's lines and the launcher's own go out through one bounded, non-blocking
 * writer: on Linux a plain write to a pipe nobody reads blocks the whole launcher (no more
 * relaying, probing or restarting), and then every service's own output backs up.
 */
const output = new LogOutput(DEFAULT_LOG_BUFFER_BYTES);
const log = (name: string, line: string) => output.stream.write(`${name.padEnd(9)}| ${line}\n`);
output.onDropsReported(({ droppedLines, droppedFrom, droppedUntil }) =>
  log('launcher', `${droppedLines} lines of output dropped between ${droppedFrom} and ${droppedUntil}: this launcher's stdout was not read while ${DEFAULT_LOG_BUFFER_BYTES / 1024 / 1024} MB of them waited`),
);

async function resolveDatabaseUrls(
  config: ReturnType<typeof readConfig<typeof launcherSpec>>,
  explicit: Record<SubgraphName, string | null>,
): Promise<{ urls: Record<SubgraphName, string>; postgres?: RunningPostgres }> {
  if (SUBGRAPH_NAMES.every((name) => explicit[name])) {
    log('launcher', 'using the <SUBGRAPH>_DATABASE_URL databases given');
    return { urls: explicit as Record<SubgraphName, string> };
  }
  let postgres: RunningPostgres | undefined;
  let adminUrl = config.adminDatabaseUrl;
  if (!adminUrl) {
    postgres = await step(
      (line) => log('launcher', line),
      `starting embedded PostgreSQL on 127.0.0.1:${config.embeddedPostgresPort} (data in ${config.dataDir})`,
      () =>
        startEmbeddedPostgres({
          dataDir: resolve(config.dataDir, 'postgres'),
          port: config.embeddedPostgresPort,
          log: (line) => {
            if (/error|fatal|panic|initialising/i.test(line)) log('postgres', line);
          },
        }),
      (started, seconds) => `PostgreSQL ready in ${seconds} s (pid ${started.pid})`,
    );
    adminUrl = postgres.adminUrl;
  }
  const names = SUBGRAPH_NAMES.map((name) => `${config.databasePrefix}${name}`);
  const created = await step(
    (line) => log('launcher', line),
    `creating the databases that do not exist yet (${names.join(', ')})`,
    () => ensureDatabases(adminUrl, names),
    (_, seconds) => `databases present in ${seconds} s`,
  );
  const urls = Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => [name, explicit[name] ?? (created[`${config.databasePrefix}${name}`] as string)]),
  ) as Record<SubgraphName, string>;
  return { urls, postgres };
}

const EXAMPLE_LOGIN = `mutation { login(input: { email: "ada@example.com", password: "demo-password" }) { accessToken } }`;

const EXAMPLE_QUERY = `query Bookings {
  bookings(first: 3) {
    edges {
      node {
        status startsAt endsAt
        listing { title city pricePerNight { amount currency } host { displayName } }
        guest { displayName }
        invoice { status amount { amount currency } }
      }
    }
  }
}`;

async function main(): Promise<void> {
  const startedAt = Date.now();
  const config = readConfig(launcherSpec);
  const ports = readConfig(subgraphSpecs());
  const explicit = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, ports[`${name}DatabaseUrl`]])) as Record<
    SubgraphName,
    string | null
  >;

  const services: SupervisedService[] = [];
  let postgres: RunningPostgres | undefined;
  let redis: RunningRedis | undefined;
  let inProcess: { stop(): Promise<void> } | undefined;
  let stopping = false;
  const stopAll = async (exitCode: number, reason?: string) => {
    if (stopping) return;
    stopping = true;
    const stopStartedAt = Date.now();
    log('launcher', reason ? `stopping: ${reason}` : 'stopping…');
    for (const service of services) service.expectExit();
    // Clients first (the router), then what it calls (the subgraphs, together), then what they
    // use: no service sees its database or Redis go away while it is still shutting down.
    const stopped = async (which: SupervisedService[]) => {
      await Promise.all(which.map((service) => service.stop()));
      if (which.length > 0) log('launcher', `${which.map((service) => service.name).join(', ')} stopped`);
    };
    await stopped(services.filter((service) => service.name === 'router'));
    await stopped(services.filter((service) => service.name !== 'router'));
    await inProcess?.stop();
    await Promise.all([redis?.stop(), postgres?.stop()]);
    if (redis || postgres) log('launcher', `${[redis && 'Redis', postgres && 'PostgreSQL'].filter(Boolean).join(' and ')} stopped`);
    log('launcher', `stopped in ${secondsSince(stopStartedAt)} s`);
    // The last lines reach stdout, in order, before the process ends.
    await output.drained(2_000);
    process.exit(exitCode);
  };
  // A terminal's Ctrl-C, a `kill`, a closed terminal. Only the first counts: npm may pass the
  // signal on as well, and the default action of a second one would kill this process midway.
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) log('launcher', `${signal} received again; still stopping`);
    else void stopAll(0, `${signal} received`);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

  try {
    // A leftover process on one of our ports would answer our readiness probes and mask a failure.
    const wanted = [
      ...SUBGRAPH_NAMES.map((name) => ({ name, port: ports[`${name}Port`] as number, variable: `${name.toUpperCase()}_PORT` })),
      { name: 'router', port: config.routerPort, variable: 'ROUTER_PORT' },
    ];
    for (const { name, port, variable: portVariable } of wanted) {
      if (!(await isPortFree(port))) {
        throw new Error(`port ${port} for ${name} is already in use (is another stack running?); set ${portVariable} to change it`);
      }
    }
    const databases = await resolveDatabaseUrls(config, explicit);
    postgres = databases.postgres;
    let redisUrl = config.eventTransport === 'memory' ? null : config.redisUrl;
    if (!redisUrl && config.eventTransport === 'auto' && redisServerOnPath()) {
      redis = await step(
        (line) => log('launcher', line),
        `starting redis-server on 127.0.0.1:${config.embeddedRedisPort} (append-only, data in ${config.dataDir})`,
        () => startRedisServer({ port: config.embeddedRedisPort, dir: resolve(config.dataDir, 'redis'), appendOnly: true }),
        (started, seconds) => `Redis ready in ${seconds} s (pid ${started.process.pid})`,
      );
      redisUrl = redis.url;
    }

    // The services get the Redis chosen above or none: a REDIS_URL from the shell must not
    // reach them when EVENT_TRANSPORT=memory, and the launcher's EVENT_TRANSPORT (auto|memory)
    // is not theirs (redis|memory).
    const inherited: NodeJS.ProcessEnv = { ...process.env };
    delete inherited.REDIS_URL;
    delete inherited.EVENT_TRANSPORT;
    const baseEnv: NodeJS.ProcessEnv = {
      ...inherited,
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
      LOG_LEVEL: config.logLevel,
      HOST: '127.0.0.1',
      ROUTER_SIGNING_SECRET: config.routerSigningSecret,
    };
    const signingKeyEncryptionKey =
      config.signingKeyEncryptionKey ?? persistedEncryptionKey(resolve(config.dataDir, 'signing-key-encryption.key'));
    const subgraphEnv = (name: SubgraphName): NodeJS.ProcessEnv => ({
      ...baseEnv,
      ...(name === 'accounts' ? { SIGNING_KEY_ENCRYPTION_KEY: signingKeyEncryptionKey } : {}),
      // Without Redis the subgraphs run in this process (below), sharing in-memory streams.
      EVENT_TRANSPORT: redisUrl ? 'redis' : 'memory',
      PORT: String(ports[`${name}Port`]),
      [`${name.toUpperCase()}_DATABASE_URL`]: databases.urls[name],
      SEED_DEMO: String(config.seedDemo),
    });
    const routerEnv: NodeJS.ProcessEnv = {
      ...baseEnv,
      PORT: String(config.routerPort),
      ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, `http://127.0.0.1:${ports[`${name}Port`]}/graphql`])),
    };
    if (redisUrl) {
      const supervised = (name: string, script: string, env: NodeJS.ProcessEnv, readyUrl: string) => {
        const service = new SupervisedService({
          name,
          script,
          nodeFlags: serviceNodeFlags(name),
          env,
          readyUrl,
          log,
          policy: { ...DEFAULT_RESTART_POLICY, maxCrashes: config.restartMaxCrashes, windowMs: config.restartWindowSeconds * 1000 },
          onGiveUp: (reason) => {
            process.stderr.write(`launcher: ${reason}; stopping the stack\n`);
            void stopAll(1, reason);
          },
        });
        services.push(service);
        return service;
      };
      const subgraphs = SUBGRAPH_NAMES.map((name) =>
        supervised(name, resolve(REPO_ROOT, 'subgraphs', name, 'dist', 'src', 'main.js'), subgraphEnv(name), `http://127.0.0.1:${ports[`${name}Port`]}/ready`),
      );
      log(
        'launcher',
        `waiting for ${SUBGRAPH_NAMES.join(', ')} to apply their migrations${config.seedDemo ? ', insert the demo data' : ''} and answer /ready…`,
      );
      await untilAll(
        (line) => log('launcher', line),
        subgraphs.map((service) => ({ name: service.name, ready: () => service.waitUntilReady(SUBGRAPH_READY_DEADLINE_MS) })),
        SUBGRAPH_READY_DEADLINE_MS,
      );
      const router = supervised('router', resolve(REPO_ROOT, 'router', 'dist', 'main.js'), routerEnv, `http://127.0.0.1:${config.routerPort}/ready`);
      log('launcher', 'waiting for the router to load the supergraph and answer /ready…');
      await untilAll((line) => log('launcher', line), [{ name: 'router', ready: () => router.waitUntilReady(ROUTER_READY_DEADLINE_MS) }], ROUTER_READY_DEADLINE_MS);
      // A failed first start stops the stack (above); from here on a death is restarted.
      for (const service of services) service.supervise();
    } else {
      log('launcher', '*** WARNING: no Redis (no REDIS_URL, no redis-server on PATH, or EVENT_TRANSPORT=memory) ***');
      log('launcher', '*** running every service in this one process with in-memory event streams; events in flight are lost on exit ***');
      inProcess = await step(
        (line) => log('launcher', line),
        'starting the subgraphs (migrations, demo data) and the router in this process',
        () => startInProcessStack({ subgraphEnv, routerEnv }),
        (_, seconds) => `every service ready in ${seconds} s`,
      );
    }
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    output.stream.write(
      `\nbooking-supergraph is ready in ${seconds}s\n` +
        `  GraphQL (and Apollo Sandbox in a browser): http://localhost:${config.routerPort}/graphql\n` +
        '  Demo accounts (password "demo-password"): ada@example.com (admin), hana@example.com (host),\n' +
        '  alice@example.com (guest). Sign in, then send `Authorization: Bearer <accessToken>`:\n\n' +
        `    ${EXAMPLE_LOGIN}\n\n` +
        `  Then try:\n\n${EXAMPLE_QUERY.replace(/^/gm, '    ')}\n\n` +
        `  curl -s http://localhost:${config.routerPort}/graphql -H 'content-type: application/json' \\\n` +
        `    -d '{"query":"{ listings(first: 3) { edges { node { title city } } } }"}'\n\n` +
        '  Ctrl-C stops everything; a service that dies is restarted.\n\n',
    );
  } catch (error) {
    // Stopping midway makes the start fail (a service exits before it is ready): not news.
    if (stopping) return;
    if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
    else process.stderr.write(`launcher: ${(error as Error).message}\n`);
    await stopAll(1);
  }
}

void main();
