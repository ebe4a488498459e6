import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SUBGRAPH_NAMES } from '@booking/runtime';
import { findFreePort, graphqlRequest, testKeyPrefix, testRedisUrl } from '@booking/testkit';
import { dropDatabases } from '../local/databases';
import { isPortFree } from '../local/ports';

/**
 * `npm start` as an operator runs it (the built launcher, real child processes), against the
 * test PostgreSQL server with database names of its own. Started twice to prove restarts work.
 */
const LAUNCHER = resolve(__dirname, '..', 'dist', 'local', 'start.js');
const prefix = `t_launch_${randomBytes(3).toString('hex')}_`;

interface Launched {
  readonly child: ChildProcess;
  output(): string;
  exit: Promise<number | null>;
}

/** Every launcher a test started; each runs in its own process group with all its children. */
const launchedGroups: ChildProcess[] = [];

/** After each test, whatever it left running (a failure, a timeout) is killed, children included. */
function killLeftovers(): void {
  for (const child of launchedGroups.splice(0)) {
    if (child.pid === undefined) continue;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  }
}

async function launch(env: Record<string, string>): Promise<Launched> {
  const child = spawn(process.execPath, [LAUNCHER], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  launchedGroups.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const deadline = Date.now() + 60_000;
  while (!output.includes('booking-supergraph is ready')) {
    if (child.exitCode !== null) throw new Error(`launcher exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`launcher not ready in 60 s:\n${output}`);
    await new Promise((wait) => setTimeout(wait, 100));
  }
  return { child, output: () => output, exit };
}

/** The pids the launcher reported for a service, in start order. */
function pidsOf(output: string, name: string): number[] {
  return [...output.matchAll(new RegExp(`\\| ${name} started \\(pid (\\d+)\\)`, 'g'))].map((match) => Number(match[1]));
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

const KYOTO = `{ listings(city: "Kyoto") { edges { node { title pricePerNight { amount currency } host { displayName }
  bookings { status guest { displayName } invoice { status amount { amount } } } } } } users(first: 100) { edges { node { id } } } }`;

describe('npm start (the local launcher)', () => {
  let env: Record<string, string>;
  let routerUrl: string;

  beforeAll(async () => {
    const ports = await Promise.all(Array.from({ length: 5 }, () => findFreePort()));
    env = {
      DATABASE_URL: process.env.TEST_ADMIN_DATABASE_URL as string,
      DATABASE_NAME_PREFIX: prefix,
      REDIS_URL: testRedisUrl(),
      EVENT_KEY_PREFIX: testKeyPrefix('launcher'),
      ROUTER_PORT: String(ports[4]),
      LOG_LEVEL: 'warn',
      // Its own DATA_DIR: the launcher keeps the generated SIGNING_KEY_ENCRYPTION_KEY there.
      DATA_DIR: mkdtempSync(join(tmpdir(), 'launcher-')),
      ...Object.fromEntries(SUBGRAPH_NAMES.map((name, index) => [`${name.toUpperCase()}_PORT`, String(ports[index])])),
    };
    routerUrl = `http://127.0.0.1:${ports[4]}/graphql`;
  });

  afterEach(killLeftovers);
  afterAll(async () => {
    rmSync(env.DATA_DIR as string, { recursive: true, force: true });
    await dropDatabases(process.env.TEST_ADMIN_DATABASE_URL as string, SUBGRAPH_NAMES.map((name) => `${prefix}${name}`));
  });

  it.each([1, 2])('start %i: serves the demo data through the router, then stops cleanly on SIGINT', async () => {
    const launched = await launch(env);
    try {
      expect(launched.output()).toContain(`http://localhost:${env.ROUTER_PORT}/graphql`);
      // The demo admin signs in with the demo password the launcher prints.
      const login = await graphqlRequest<{ login: { accessToken: string } }>(
        routerUrl,
        'mutation { login(input: { email: "ada@example.com", password: "demo-password" }) { accessToken } }',
      );
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
      launched.child.kill('SIGINT');
    }
    await expect(launched.exit).resolves.toBe(0);
    expect(launched.output()).toContain('stopped');
    expect(await isPortFree(Number(env.ROUTER_PORT))).toBe(true);
    // The generated encryption key is kept, so the second start opens the keys the first sealed.
    expect(existsSync(join(env.DATA_DIR as string, 'signing-key-encryption.key'))).toBe(true);
  });

  it('runs in one process with in-memory events when there is no Redis, and says so; the saga still advances', async () => {
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
      const deadline = Date.now() + 20_000;
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
      launched.child.kill('SIGINT');
    }
    await expect(launched.exit).resolves.toBe(0);
  });

  it('restarts a subgraph killed by pid, logs why it died, and the router answers through it again', async () => {
    const launched = await launch(env);
    try {
      const first = pidsOf(launched.output(), 'bookings')[0]!;
      process.kill(first, 'SIGKILL');
      await waitFor(() => /bookings restarted and ready \(pid (\d+)\)/.test(launched.output()), 60_000, () => launched.output());
      expect(launched.output()).toContain(`bookings (pid ${first}) died: signal SIGKILL`);
      const second = pidsOf(launched.output(), 'bookings').at(-1)!;
      expect(second).not.toBe(first);
      expect(isAlive(first)).toBe(false);

      // The router reaches the new bookings process: Kyoto's bookings come back with their guest.
      await waitFor(async () => {
        const login = await graphqlRequest<{ login: { accessToken: string } }>(
          routerUrl,
          'mutation { login(input: { email: "ada@example.com", password: "demo-password" }) { accessToken } }',
        );
        const response = await graphqlRequest<{ listings: { edges: { node: { bookings: { status: string }[] } }[] } }>(
          routerUrl,
          KYOTO,
          {},
          { authorization: `Bearer ${login.data?.login.accessToken}` },
        );
        return response.errors === undefined && response.data?.listings.edges[0]?.node.bookings[0]?.status === 'CONFIRMED';
      }, 30_000, () => launched.output());
      expect(launched.child.exitCode).toBeNull();
      expect(launched.output()).not.toContain('launcher | stopping');
    } finally {
      launched.child.kill('SIGINT');
    }
    await expect(launched.exit).resolves.toBe(0);
    expect(await isPortFree(Number(env.BOOKINGS_PORT))).toBe(true);
  }, 150_000);

  it('stops the whole stack with a clear message when a service keeps crashing', async () => {
    const launched = await launch({ ...env, RESTART_MAX_CRASHES: '3', RESTART_WINDOW_SECONDS: '60' });
    const killed = new Set<number>();
    // Kill each bookings process as soon as the launcher names it, until the launcher gives up.
    await waitFor(() => {
      for (const pid of pidsOf(launched.output(), 'bookings')) {
        if (killed.has(pid)) continue;
        killed.add(pid);
        if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      }
      return launched.child.exitCode !== null;
    }, 90_000, () => launched.output());
    await expect(launched.exit).resolves.toBe(1);
    expect(killed.size).toBe(3);
    expect(launched.output()).toContain('bookings crashed 3 times within 60 s; giving up; stopping the stack');
    expect(launched.output()).toContain('stopped');
    const everyChild = ['accounts', 'catalog', 'bookings', 'billing', 'router'].flatMap((name) => pidsOf(launched.output(), name));
    expect(everyChild.filter(isAlive)).toEqual([]);
    expect(await isPortFree(Number(env.ROUTER_PORT))).toBe(true);
  }, 150_000);

  it('refuses to start when a port is taken, naming it', async () => {
    const blocker = require('node:net').createServer() as import('node:net').Server;
    await new Promise<void>((listening) => blocker.listen(Number(env.BOOKINGS_PORT), '127.0.0.1', listening));
    try {
      const child = spawn(process.execPath, [LAUNCHER], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((exited) => child.once('exit', exited));
      expect(code).toBe(1);
      expect(output).toContain(`port ${env.BOOKINGS_PORT} for bookings is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('stops with a message naming a malformed variable', async () => {
    const child = spawn(process.execPath, [LAUNCHER], { env: { ...process.env, ...env, ROUTER_PORT: 'four thousand' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((exited) => child.once('exit', exited));
    expect(code).toBe(1);
    expect(output).toContain('ROUTER_PORT must be a TCP port');
  });
});
