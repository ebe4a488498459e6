/**
 * `npm run bench:staleness`: how long a committed write stays hidden by the entity cache (issue
 * 12). Starts its own redis-server and the stack as separate processes (four subgraphs, two
 * routers with ENTITY_CACHE=on sharing that Redis, as two instances of a deployment). Then,
 * STALENESS_ROUNDS times: reads a listing through both routers (the entry is cached), commits
 * `updateListing` with a new title (the commit time is when the mutation's answer arrived: the
 * transaction has committed by then), and reads the listing alternately through the two
 * routers every STALENESS_POLL_MS until the new title shows. Records the time from the commit
 * to the first fresh answer, and how many stale answers came after the commit (0: the
 * eviction was there before the first read). Fails (exit 1) when a round never shows the new
 * title within STALENESS_GIVE_UP_MS. Writes bench/results/staleness-<STALENESS_LABEL>.{json,md}.
 * Targets 127.0.0.1 only.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serviceNodeFlags } from '@booking/runtime';
import { dropDatabases, ensureDatabases, findFreePort, startChildService, startRedisServer, type ChildService, type RunningRedis } from '@booking/infra';
import { gql } from './graphqlCall';

const ROOT = resolve(__dirname, '..', '..');
const SUBGRAPHS = ['accounts', 'catalog', 'bookings', 'billing'] as const;
const ROUNDS = Number(process.env.STALENESS_ROUNDS ?? 200);
const POLL_MS = Number(process.env.STALENESS_POLL_MS ?? 2);
const GIVE_UP_MS = Number(process.env.STALENESS_GIVE_UP_MS ?? 10_000);
const LABEL = (process.env.STALENESS_LABEL ?? 'latest').replace(/[^a-z0-9-]/gi, '');

/** Query.listing: a root field the routers cache (PUBLIC, 60 s) and evict with the listing. */
const READ = 'query($id: ID!) { listing(id: $id) { id title } }';
const UPDATE = 'mutation($id: ID!, $input: UpdateListingInput!) { updateListing(id: $id, input: $input) { id title } }';

interface Round {
  readonly round: number;
  /** Commit (mutation answered) → first answer with the new title, in ms. */
  readonly firstFreshMs: number;
  /** Answers with the old title that arrived after the commit. */
  readonly staleReads: number;
  /** Which router (0 or 1) gave the first fresh answer. */
  readonly freshFrom: number;
}

const sleep = (ms: number) => new Promise<void>((wait) => setTimeout(wait, ms));

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] as number;
}

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const prefix = `stale_${randomBytes(3).toString('hex')}_`;
  const names = SUBGRAPHS.map((name) => `${prefix}${name}`);
  const databases = await ensureDatabases(adminUrl, names);
  const redisDir = mkdtempSync(join(tmpdir(), 'staleness-redis-'));
  const redis: RunningRedis = await startRedisServer({ port: await findFreePort(), dir: redisDir, appendOnly: false });
  const secret = randomBytes(32).toString('hex');
  const services: ChildService[] = [];
  const log = (name: string, line: string) => {
    if (/"level":(50|60)/.test(line)) process.stderr.write(`${name}| ${line.slice(0, 400)}\n`);
  };
  const base = { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', ROUTER_SIGNING_SECRET: secret, REDIS_URL: redis.url, EVENT_KEY_PREFIX: `${prefix}:` };
  const start = async (name: string, script: string, env: NodeJS.ProcessEnv, port: number) => {
    const child = startChildService({ name, script, nodeFlags: serviceNodeFlags(name), env, log });
    services.push(child);
    await child.waitUntilReady(`http://127.0.0.1:${port}/ready`, 60_000);
  };
  try {
    const ports = Object.fromEntries(await Promise.all(SUBGRAPHS.map(async (name) => [name, await findFreePort()] as const))) as Record<(typeof SUBGRAPHS)[number], number>;
    // The production profile encrypts accounts' signing keys at rest.
    const signingKeyEncryptionKey = randomBytes(32).toString('hex');
    for (const name of SUBGRAPHS) {
      await start(
        name,
        resolve(ROOT, 'subgraphs', name, 'dist', 'src', 'main.js'),
        { ...base, PORT: String(ports[name]), [`${name.toUpperCase()}_DATABASE_URL`]: databases[`${prefix}${name}`], SIGNING_KEY_ENCRYPTION_KEY: signingKeyEncryptionKey },
        ports[name],
      );
    }
    const routerUrls: string[] = [];
    for (let instance = 0; instance < 2; instance += 1) {
      const port = await findFreePort();
      await start(
        `router-${instance}`,
        resolve(ROOT, 'router', 'dist', 'main.js'),
        {
          ...base,
          PORT: String(port),
          ENTITY_CACHE: 'on',
          // The production profile rate-limits anonymous reads per client: polling every few
          // milliseconds for 200 rounds would spend the budget and measure refusals instead.
          RATE_LIMIT: 'false',
          ...Object.fromEntries(SUBGRAPHS.map((name) => [`${name.toUpperCase()}_URL`, `http://127.0.0.1:${ports[name]}/graphql`])),
        },
        port,
      );
      routerUrls.push(`http://127.0.0.1:${port}/graphql`);
    }
    const [first] = routerUrls as [string, string];
    const { register } = await gql<{ register: { accessToken: string } }>(first, 'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }', {
      input: { email: `host-${prefix}@staleness.example`, password: 'staleness password 123', displayName: 'Staleness host', role: 'HOST' },
    });
    const host = register.accessToken;
    const { createListing } = await gql<{ createListing: { id: string } }>(
      first,
      'mutation { createListing(input: { title: "Staleness loft", city: "Lisbon", capacity: 2, pricePerNight: { amount: 1000, currency: "EUR" } }) { id } }',
      {},
      host,
    );
    const listingId = createListing.id;
    const titleThrough = async (url: string) => (await gql<{ listing: { title: string } | null }>(url, READ, { id: listingId })).listing?.title;

    const rounds: Round[] = [];
    const started = Date.now();
    for (let round = 1; round <= ROUNDS; round += 1) {
      // Warm: a miss that stores, then a read served from the entry, on both routers.
      for (const url of routerUrls) {
        await titleThrough(url);
        await titleThrough(url);
      }
      const title = `Staleness round ${round}`;
      await gql(first, UPDATE, { id: listingId, input: { title } }, host);
      const committedAt = performance.now();
      let staleReads = 0;
      let fresh: Round | undefined;
      for (let read = 0; !fresh; read += 1) {
        const router = read % 2;
        const seen = await titleThrough(routerUrls[router] as string);
        const elapsed = performance.now() - committedAt;
        if (seen === title) fresh = { round, firstFreshMs: elapsed, staleReads, freshFrom: router };
        else if (elapsed > GIVE_UP_MS) throw new Error(`round ${round}: "${title}" not shown within ${GIVE_UP_MS} ms of the commit (last read: "${seen}")`);
        else {
          staleReads += 1;
          await sleep(POLL_MS);
        }
      }
      rounds.push(fresh);
      if (round % 20 === 0) process.stdout.write(`staleness: ${round}/${ROUNDS} rounds (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
    }

    const sorted = rounds.map((round) => round.firstFreshMs).sort((a, b) => a - b);
    const withStale = rounds.filter((round) => round.staleReads > 0);
    const summary = {
      rounds: rounds.length,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      maxMs: sorted[sorted.length - 1] ?? Number.NaN,
      roundsWithStaleReads: withStale.length,
      staleReadsMax: Math.max(0, ...rounds.map((round) => round.staleReads)),
    };
    const settings = { rounds: ROUNDS, pollMs: POLL_MS, giveUpMs: GIVE_UP_MS, machine: `${cpus()[0]?.model ?? 'unknown'} (${cpus().length} cores)`, node: process.version };
    const resultsDir = resolve(ROOT, 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(resolve(resultsDir, `staleness-${LABEL}.json`), `${JSON.stringify({ date: new Date().toISOString(), settings, summary, rounds }, null, 1)}\n`);
    const ms = (value: number) => value.toFixed(1);
    const markdown = [
      `# Entity cache staleness window (${new Date().toISOString()})`,
      '',
      `Two routers with ENTITY_CACHE=on sharing one Redis, four subgraphs, each its own process, on ${settings.machine}, Node ${settings.node}.`,
      `${rounds.length} rounds: \`listing(id:) { id title }\` read through both routers (cached), \`updateListing\` committed, then the listing read`,
      `alternately through the two routers every ${POLL_MS} ms until the new title showed. Commit time: when the mutation's answer arrived.`,
      'The window includes the outbox relay publishing the event, the invalidation message and the eviction, and the fresh read itself (a subgraph call).',
      '',
      '| commit → first fresh read | ms |',
      '|---|---:|',
      `| p50 | ${ms(summary.p50Ms)} |`,
      `| p99 | ${ms(summary.p99Ms)} |`,
      `| max | ${ms(summary.maxMs)} |`,
      '',
      `Rounds where a read after the commit still showed the old title: ${summary.roundsWithStaleReads} of ${rounds.length} (at most ${summary.staleReadsMax} stale reads in one round).`,
      '',
    ].join('\n');
    writeFileSync(resolve(resultsDir, `staleness-${LABEL}.md`), markdown);
    process.stdout.write(markdown);
  } finally {
    for (const service of services.reverse()) await service.stop();
    await redis.stop();
    rmSync(redisDir, { recursive: true, force: true });
    await dropDatabases(adminUrl, names);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`staleness failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
