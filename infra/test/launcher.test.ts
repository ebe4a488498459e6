import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SUBGRAPH_NAMES } from '@booking/runtime';
import { findFreePort, graphqlRequest, testKeyPrefix, testRedisUrl } from '@booking/testkit';
import { dropDatabases } from '../local/databases';
import { groupReaper } from '../local/groupReaper';
import { findFreeFetchBlockedPort, isPortFree } from '../local/ports';
import { groupAlive, signalGroup } from '../local/processGroups';

/**
 * `npm start` as an operator runs it (the built launcher, real child processes), against the
 * test PostgreSQL server with database names of its own, and once with nothing configured
 * (embedded PostgreSQL, redis-server). Started several times to prove restarts work.
 *
 * Deadlines, not sleeps, and generous ones: on a loaded machine (load 10 on 2 cores) a start
 * takes a minute. Every launcher a test starts is stopped after it, however it ended, and so is
 * every process the launcher reported starting; should jest itself be killed, this process's
 * reaper stops the launchers, which stop their children.
 */
const REPO_ROOT = resolve(__dirname, '..', '..');
const LAUNCHER = resolve(REPO_ROOT, 'infra', 'dist', 'local', 'start.js');
const prefix = `t_launch_${randomBytes(3).toString('hex')}_`;
/** Past the launcher's own deadlines (120 s for the subgraphs, 60 s for the router), which say why. */
const READY_DEADLINE_MS = 200_000;
/** A stop takes a second or two; this only bounds a hung one. */
const STOP_DEADLINE_MS = 30_000;
const TEST_TIMEOUT_MS = 400_000;

interface Launched {
  readonly child: ChildProcess;
  output(): string;
  exit: Promise<number | null>;
}

/** Every launcher a test started (each in its own process group, as a terminal runs it). */
const running: Launched[] = [];

/** The built launcher, or with `command` what `npm start` runs, in a process group of its own as a terminal would. */
function spawnLauncher(env: Record<string, string>, command: readonly string[] = [process.execPath, LAUNCHER]): Launched {
  const [file, ...args] = command as [string, ...string[]];
  const child = spawn(file, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const pid = child.pid as number;
  // Should this test process be killed, its reaper stops the launcher (which stops its children).
  groupReaper().watch(pid, { graceMs: STOP_DEADLINE_MS });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolveExit) =>
    child.once('exit', (code) => {
      groupReaper().release(pid);
      resolveExit(code);
    }),
  );
  const started = { child, output: () => output, exit };
  running.push(started);
  return started;
}

async function launch(env: Record<string, string>): Promise<Launched> {
  const started = spawnLauncher(env);
  await waitFor(
    () => {
      if (started.child.exitCode !== null) throw new Error(`launcher exited early:\n${started.output()}`);
      return started.output().includes('booking-supergraph is ready');
    },
    READY_DEADLINE_MS,
    started.output,
  );
  return started;
}

/** Resolves with the launcher's exit code; fails with its output if it has not exited by the deadline. */
async function exitOf(started: Launched, deadlineMs = STOP_DEADLINE_MS): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`launcher still running after ${deadlineMs} ms; output:\n${started.output()}`)), deadlineMs);
  });
  try {
    return await Promise.race([started.exit, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * After each test, whatever it left running (a failure, a timeout) is stopped: the launcher is
 * asked to stop, killed if it does not, and every process it reported starting is killed too.
 */
async function stopLeftovers(): Promise<void> {
  for (const started of running.splice(0)) {
    const pid = started.child.pid as number;
    if (started.child.exitCode === null && started.child.signalCode === null) {
      started.child.kill('SIGTERM');
      await exitOf(started).catch(() => signalGroup(pid, 'SIGKILL'));
    }
    for (const child of childPids(started.output())) {
      signalGroup(child, 'SIGKILL');
      // A child that is not the leader of a group of its own (a launcher that did not detach it).
      if (isAlive(child)) process.kill(child, 'SIGKILL');
    }
    // And anything still in the launcher's own group.
    signalGroup(pid, 'SIGKILL');
  }
}

/** The pids the launcher reported for a service, in start order. */
function pidsOf(output: string, name: string): number[] {
  return [...output.matchAll(new RegExp(`\\| ${name} started \\(pid (\\d+)\\)`, 'g'))].map((match) => Number(match[1]));
}

/** Every process the launcher reported starting: services (restarts too), PostgreSQL, Redis. */
function childPids(output: string): number[] {
  return [...output.matchAll(/^launcher \| .*(?: started| ready in [\d.]+ s) \(pid (\d+)\)$/gm)].map((match) => Number(match[1]));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `condition` until it holds; fails with `describe()` (the launcher's output) at the deadline. */
async function waitFor(condition: () => boolean | Promise<boolean>, deadlineMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${deadlineMs} ms; launcher output:\n${describe()}`);
    await new Promise((wait) => setTimeout(wait, 100));
  }
}

/** Ctrl-C in a terminal: SIGINT to the whole foreground process group, not to one process. */
function interruptLikeATerminal(started: Launched): void {
  process.kill(-(started.child.pid as number), 'SIGINT');
}

/** What the launcher printed from the moment it began to stop. */
function stopOutput(started: Launched): string {
  const output = started.output();
  const from = output.indexOf('launcher | stopping');
  return from === -1 ? '' : output.slice(from);
}

/**
 * A quiet, complete stop: exit 0, the final line printed, nothing that looks like a failure
 * (no FATAL from PostgreSQL, no DatabaseError or stack from a service losing its database, no
 * crash and restart), and no process the launcher started still running.
 */
async function expectCleanStop(started: Launched): Promise<void> {
  await expect(exitOf(started)).resolves.toBe(0);
  const stopping = stopOutput(started);
  expect(stopping).toMatch(/^launcher \| stopped in [\d.]+ s$/m);
  expect(stopping).not.toMatch(/FATAL|PANIC|Error|error:|"level":(50|60)| died: |restarting /);
  const pids = childPids(started.output());
  expect(pids.length).toBeGreaterThan(0);
  expect(pids.filter(groupAlive)).toEqual([]);
}

/** A GraphQL POST over node:http: the router may listen on a port fetch refuses. */
function postGraphQL<Data>(url: string, query: string, headers: Record<string, string> = {}): Promise<{ data?: Data; errors?: unknown[] }> {
  return new Promise((resolvePost, reject) => {
    const body = JSON.stringify({ query });
    const sent = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        try {
          resolvePost(JSON.parse(text) as { data?: Data; errors?: unknown[] });
        } catch {
          reject(new Error(`HTTP ${response.statusCode}: ${text}`));
        }
      });
    });
    sent.on('error', reject);
    sent.end(body);
  });
}

const LOGIN_ADA = 'mutation { login(input: { email: "ada@example.com", password: "demo-password" }) { accessToken } }';

const KYOTO = `{ listings(city: "Kyoto") { edges { node { title pricePerNight { amount currency } host { displayName }
  bookings { status guest { displayName } invoice { status amount { amount } } } } } } users(first: 100) { edges { node { id } } } }`;

describe('npm start (the local launcher)', () => {
  let env: Record<string, string>;
  let routerUrl: string;
  const dataDirs: string[] = [];

  /** A DATA_DIR of its own (the launcher keeps the generated SIGNING_KEY_ENCRYPTION_KEY there). */
  const freshDataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'launcher-'));
    // Embedded PostgreSQL runs as the `postgres` user when the tests run as root: it must reach its directory.
    chmodSync(dir, 0o755);
    dataDirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    const ports = await Promise.all(Array.from({ length: 5 }, () => findFreePort()));
    env = {
      DATABASE_URL: process.env.TEST_ADMIN_DATABASE_URL as string,
      DATABASE_NAME_PREFIX: prefix,
      REDIS_URL: testRedisUrl(),
      EVENT_KEY_PREFIX: testKeyPrefix('launcher'),
      ROUTER_PORT: String(ports[4]),
      LOG_LEVEL: 'warn',
      DATA_DIR: freshDataDir(),
      ...Object.fromEntries(SUBGRAPH_NAMES.map((name, index) => [`${name.toUpperCase()}_PORT`, String(ports[index])])),
    };
    routerUrl = `http://127.0.0.1:${ports[4]}/graphql`;
  });

  afterEach(stopLeftovers);
  afterAll(async () => {
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
    await dropDatabases(process.env.TEST_ADMIN_DATABASE_URL as string, SUBGRAPH_NAMES.map((name) => `${prefix}${name}`));
  });

  it.each([1, 2])(
    "start %i: serves the demo data through the router, then stops in order and quietly on a terminal's Ctrl-C",
    async () => {
      const launched = await launch(env);
      try {
        expect(launched.output()).toContain(`http://localhost:${env.ROUTER_PORT}/graphql`);
        // The demo admin signs in with the demo password the launcher prints.
        const login = await graphqlRequest<{ login: { accessToken: string } }>(routerUrl, LOGIN_ADA);
        expect(launched.output()).toContain('demo-password');
        const authorization = { authorization: `Bearer ${login.data?.login.accessToken}` };
        const response = await graphqlRequest<{ users: { edges: unknown[] } }>(routerUrl, KYOTO, {}, authorization);
        expect(response.errors).toBeUndefined();
        expect(response.data).toMatchObject({
          listings: {
            edges: [
              {
                node: {
                  title: 'Machiya townhouse in Higashiyama',
                  pricePerNight: { amount: 21000, currency: 'EUR' },
                  host: { displayName: 'Hana Sato' },
                  bookings: [{ status: 'CONFIRMED', guest: { displayName: 'Chen Wei' }, invoice: { status: 'PAID', amount: { amount: 87000 } } }],
                },
              },
              {
                node: {
                  title: 'Morning tea ceremony tour',
                  host: { displayName: 'Omar Haddad' },
                  bookings: [{ status: 'CANCELLED', guest: { displayName: 'Alice Martin' }, invoice: { status: 'VOID' } }],
                },
              },
            ],
          },
        });
        // Seeding is idempotent: a second start finds the same six users, not twelve.
        expect(response.data?.users.edges).toHaveLength(6);
      } finally {
        interruptLikeATerminal(launched);
      }
      await expectCleanStop(launched);
      // The router first, then the subgraphs (Redis and PostgreSQL are not the launcher's here).
      const stopping = stopOutput(launched);
      expect(stopping.indexOf('launcher | router stopped')).toBeGreaterThan(-1);
      expect(stopping.indexOf('launcher | accounts, catalog, bookings, billing stopped')).toBeGreaterThan(stopping.indexOf('launcher | router stopped'));
      expect(await isPortFree(Number(env.ROUTER_PORT))).toBe(true);
      // The generated encryption key is kept, so the second start opens the keys the first sealed.
      expect(existsSync(join(env.DATA_DIR as string, 'signing-key-encryption.key'))).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'with nothing configured (embedded PostgreSQL, redis-server) and on ports fetch refuses: says what it is doing, serves, and stops the router, the subgraphs, then Redis and PostgreSQL on Ctrl-C',
    async () => {
      // ROUTER_PORT=6000 used to end in "router was not ready within 30000 ms": fetch refuses it.
      const [routerPort, accountsPort, postgresPort, redisPort] = [
        await findFreeFetchBlockedPort(),
        await findFreeFetchBlockedPort(),
        await findFreePort(),
        await findFreePort(),
      ];
      const launched = await launch({
        ...env,
        DATABASE_URL: '',
        REDIS_URL: '',
        DATA_DIR: freshDataDir(),
        EMBEDDED_POSTGRES_PORT: String(postgresPort),
        EMBEDDED_REDIS_PORT: String(redisPort),
        ROUTER_PORT: String(routerPort),
        ACCOUNTS_PORT: String(accountsPort),
      });
      try {
        // Progress, with times, for every step that takes a while.
        const output = launched.output();
        for (const line of [
          /^launcher \| starting embedded PostgreSQL on 127\.0\.0\.1:\d+ .*…$/m,
          /^launcher \| PostgreSQL ready in [\d.]+ s \(pid \d+\)$/m,
          /^launcher \| databases present in [\d.]+ s$/m,
          /^launcher \| Redis ready in [\d.]+ s \(pid \d+\)$/m,
          /^launcher \| waiting for accounts, catalog, bookings, billing to apply their migrations, insert the demo data and answer \/ready…$/m,
          ...SUBGRAPH_NAMES.map((name) => new RegExp(`^launcher \\| ${name} ready in [\\d.]+ s$`, 'm')),
          /^launcher \| router ready in [\d.]+ s$/m,
        ]) {
          expect(output).toMatch(line);
        }
        const url = `http://127.0.0.1:${routerPort}/graphql`;
        // accounts (its sign-in and its JWKS) is reached on a port fetch refuses too.
        const login = await postGraphQL<{ login: { accessToken: string } }>(url, LOGIN_ADA);
        expect(login.errors).toBeUndefined();
        const response = await postGraphQL<{ listings: { edges: { node: { title: string; host: { displayName: string } } }[] } }>(url, KYOTO, {
          authorization: `Bearer ${login.data?.login.accessToken}`,
        });
        expect(response.errors).toBeUndefined();
        expect(response.data?.listings.edges[0]?.node).toMatchObject({ title: 'Machiya townhouse in Higashiyama', host: { displayName: 'Hana Sato' } });
      } finally {
        interruptLikeATerminal(launched);
      }
      await expectCleanStop(launched);
      const stopping = stopOutput(launched);
      const order = ['launcher | router stopped', 'launcher | accounts, catalog, bookings, billing stopped', 'launcher | Redis and PostgreSQL stopped', 'launcher | stopped in'];
      const positions = order.map((line) => stopping.indexOf(line));
      expect(positions.every((position) => position > -1)).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      const taken: string[] = [];
      for (const [name, port] of Object.entries({ routerPort, accountsPort, postgresPort, redisPort })) {
        if (!(await isPortFree(port))) taken.push(`${name} ${port}`);
      }
      expect(taken).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a launcher killed outright (SIGKILL) takes every service with it: its reaper stops them',
    async () => {
      const launched = await launch(env);
      const children = childPids(launched.output());
      expect(children).toHaveLength(5);
      process.kill(launched.child.pid as number, 'SIGKILL');
      await waitFor(() => children.every((pid) => !groupAlive(pid)), STOP_DEADLINE_MS, launched.output);
      expect(await isPortFree(Number(env.ROUTER_PORT))).toBe(true);
      expect(await isPortFree(Number(env.BOOKINGS_PORT))).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'runs in one process with in-memory events when there is no Redis, and says so; the saga still advances',
    async () => {
      const launched = await launch({ ...env, REDIS_URL: '', EVENT_TRANSPORT: 'memory' });
      try {
        expect(launched.output()).toContain('WARNING: no Redis');
        const call = async <Data>(query: string, token?: string) => {
          const response = await graphqlRequest<Data>(routerUrl, query, {}, token ? { authorization: `Bearer ${token}` } : {});
          if (!response.data) throw new Error(JSON.stringify(response.errors));
          return response.data;
        };
        const { login } = await call<{ login: { accessToken: string } }>(
          'mutation { login(input: { email: "alice@example.com", password: "demo-password" }) { accessToken } }',
        );
        const listings = await call<{ listings: { edges: { node: { id: string } }[] } }>('{ listings(city: "Berlin") { edges { node { id } } } }');
        const listingId = listings.listings.edges[1]!.node.id;
        const deadline = Date.now() + 90_000;
        let booked: { createBooking: { id: string } } | undefined;
        while (!booked) {
          // The listing becomes bookable once bookings has consumed catalog's seeded listing event.
          const attempt = await graphqlRequest<{ createBooking: { id: string } }>(
            routerUrl,
            `mutation { createBooking(input: { listingId: "${listingId}", startsAt: "2031-05-01T15:00:00Z", endsAt: "2031-05-03T11:00:00Z", idempotencyKey: "memory-mode" }) { id } }`,
            {},
            { authorization: `Bearer ${login.accessToken}` },
          );
          booked = attempt.data ?? undefined;
          if (!booked && Date.now() > deadline) throw new Error(JSON.stringify(attempt.errors));
          if (!booked) await new Promise((wait) => setTimeout(wait, 100));
        }
        for (;;) {
          const { booking } = await call<{ booking: { invoice: { status: string } | null } }>(
            `{ booking(id: "${booked.createBooking.id}") { invoice { status } } }`,
            login.accessToken,
          );
          if (booking.invoice) {
            expect(booking.invoice.status).toBe('OPEN');
            break;
          }
          if (Date.now() > deadline) throw new Error('no invoice: the saga did not advance in memory mode');
          await new Promise((wait) => setTimeout(wait, 100));
        }
      } finally {
        interruptLikeATerminal(launched);
      }
      await expect(exitOf(launched)).resolves.toBe(0);
      expect(stopOutput(launched)).toMatch(/^launcher \| stopped in [\d.]+ s$/m);
      expect(await isPortFree(Number(env.ROUTER_PORT))).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'restarts a subgraph killed by pid, logs why it died, and the router answers through it again',
    async () => {
      const launched = await launch(env);
      try {
        const first = pidsOf(launched.output(), 'bookings')[0]!;
        process.kill(first, 'SIGKILL');
        await waitFor(() => /bookings restarted and ready \(pid (\d+)\)/.test(launched.output()), READY_DEADLINE_MS, launched.output);
        expect(launched.output()).toContain(`bookings (pid ${first}) died: signal SIGKILL`);
        const second = pidsOf(launched.output(), 'bookings').at(-1)!;
        expect(second).not.toBe(first);
        expect(isAlive(first)).toBe(false);

        // The router reaches the new bookings process: Kyoto's bookings come back with their guest.
        await waitFor(
          async () => {
            const login = await graphqlRequest<{ login: { accessToken: string } }>(routerUrl, LOGIN_ADA);
            const response = await graphqlRequest<{ listings: { edges: { node: { bookings: { status: string }[] } }[] } }>(
              routerUrl,
              KYOTO,
              {},
              { authorization: `Bearer ${login.data?.login.accessToken}` },
            );
            return response.errors === undefined && response.data?.listings.edges[0]?.node.bookings[0]?.status === 'CONFIRMED';
          },
          READY_DEADLINE_MS,
          launched.output,
        );
        expect(launched.child.exitCode).toBeNull();
        expect(launched.output()).not.toContain('launcher | stopping');
      } finally {
        interruptLikeATerminal(launched);
      }
      await expect(exitOf(launched)).resolves.toBe(0);
      expect(await isPortFree(Number(env.BOOKINGS_PORT))).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'stops the whole stack with a clear message when a service keeps crashing',
    async () => {
      const launched = await launch({ ...env, RESTART_MAX_CRASHES: '3', RESTART_WINDOW_SECONDS: '600' });
      const killed = new Set<number>();
      // Kill each bookings process as soon as the launcher names it, until the launcher gives up.
      await waitFor(
        () => {
          for (const pid of pidsOf(launched.output(), 'bookings')) {
            if (killed.has(pid)) continue;
            killed.add(pid);
            if (isAlive(pid)) process.kill(pid, 'SIGKILL');
          }
          return launched.child.exitCode !== null;
        },
        READY_DEADLINE_MS,
        launched.output,
      );
      await expect(launched.exit).resolves.toBe(1);
      expect(killed.size).toBe(3);
      expect(launched.output()).toContain('bookings crashed 3 times within 600 s; giving up; stopping the stack');
      expect(launched.output()).toMatch(/^launcher \| stopped in [\d.]+ s$/m);
      expect(childPids(launched.output()).filter(groupAlive)).toEqual([]);
      expect(await isPortFree(Number(env.ROUTER_PORT))).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it('refuses to start when a port is taken, naming it', async () => {
    const blocker = require('node:net').createServer() as import('node:net').Server;
    await new Promise<void>((listening) => blocker.listen(Number(env.BOOKINGS_PORT), '127.0.0.1', listening));
    try {
      const refused = spawnLauncher(env);
      await expect(exitOf(refused, READY_DEADLINE_MS)).resolves.toBe(1);
      expect(refused.output()).toContain(`port ${env.BOOKINGS_PORT} for bookings is already in use`);
    } finally {
      blocker.close();
    }
  }, TEST_TIMEOUT_MS);

  it('npm start says that it is building and how long the build took, then runs the launcher', async () => {
    // The build is `tsc -b`: next to nothing to do after the suite's own build. A malformed
    // variable then stops the launcher before it starts anything.
    const refused = spawnLauncher({ ROUTER_PORT: 'four thousand' }, ['npm', 'start', '--silent']);
    await expect(exitOf(refused, READY_DEADLINE_MS)).resolves.toBe(1);
    expect(refused.output()).toMatch(/^launcher \| building \(tsc -b\)…\nlauncher \| built in [\d.]+ s\n/m);
    expect(refused.output()).toContain('ROUTER_PORT must be a TCP port');
  }, TEST_TIMEOUT_MS);

  it('stops with a message naming a malformed variable', async () => {
    const refused = spawnLauncher({ ...env, ROUTER_PORT: 'four thousand' });
    await expect(exitOf(refused, READY_DEADLINE_MS)).resolves.toBe(1);
    expect(refused.output()).toContain('ROUTER_PORT must be a TCP port');
  }, TEST_TIMEOUT_MS);
});
