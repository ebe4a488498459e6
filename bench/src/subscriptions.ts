/**
 * `npm run bench:subscriptions`: starts the stack as separate processes (four subgraphs, one
 * router), opens 1,000 and then 10,000 concurrent `myBookings` subscriptions against the one
 * router, drives createBooking at the rate that yields ~1,000 events/s, and prints events/s,
 * commit→client latency p50/p99, router RSS per 1,000 subscriptions, losses and duplicates.
 * Targets 127.0.0.1 only; bounded in count and time.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { serviceNodeFlags } from '@booking/runtime';
import { dropDatabases, ensureDatabases, findFreePort, startChildService, type ChildService } from '@booking/infra';

const ROOT = resolve(__dirname, '..', '..');
const SUBGRAPHS = ['accounts', 'catalog', 'bookings', 'billing'] as const;
/** Subscriptions per guest: each booking a guest makes fans out to this many subscribers. */
const SUBSCRIBERS_PER_GUEST = 100;
const GUESTS = 100;
const TARGET_EVENTS_PER_SECOND = 1_000;
const DRIVE_SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
/** Driven but not measured: JIT and pools warm up first. */
const WARMUP_SECONDS = 3;
const SUBSCRIPTIONS_PER_SOCKET = 50;
/**
 * BENCH_DISTINCT=1 gives every subscription its own operation text (an alias), so the router
 * cannot share upstreams between them: the worst case, one completion per subscriber per event.
 */
const DISTINCT = process.env.BENCH_DISTINCT === '1';

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

function bySecond(timeline: readonly [number, number][]): SecondOfLatency[] {
  const seconds = new Map<number, number[]>();
  for (const [at, latency] of timeline) {
    const second = Math.floor(at / 1000);
    const list = seconds.get(second) ?? [];
    list.push(latency);
    seconds.set(second, list);
  }
  return [...seconds]
    .sort(([a], [b]) => a - b)
    .map(([second, list]) => {
      list.sort((a, b) => a - b);
      return { second, events: list.length, p50Ms: Number(percentile(list, 50).toFixed(1)), maxMs: Number((list[list.length - 1] ?? 0).toFixed(1)) };
    });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function gql<T>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** The router's GC and event-loop figures over the measured window, from its own /metrics (prom-client's default metrics). */
interface RouterPauses {
  /** GC time by kind (major, minor, incremental, weakcb), seconds. */
  gcSeconds: Record<string, number>;
  /** GC pauses longer than 100 ms, by kind. */
  gcPausesOver100Ms: Record<string, number>;
  /** The router's longest event-loop delay in the window (reset by the scrape at its start). */
  eventLoopLagMaxMs: number;
}

/** Latency of the events received in one second of the measured window. */
interface SecondOfLatency {
  second: number;
  events: number;
  p50Ms: number;
  maxMs: number;
}

type GcScrape = Map<string, { sum: number; count: number; under100ms: number }>;

async function scrapeRouter(metricsUrl: string): Promise<{ gc: GcScrape; lagMaxMs: number }> {
  const text = await (await fetch(metricsUrl)).text();
  const gc: GcScrape = new Map();
  const of = (kind: string) => {
    let entry = gc.get(kind);
    if (!entry) {
      entry = { sum: 0, count: 0, under100ms: 0 };
      gc.set(kind, entry);
    }
    return entry;
  };
  for (const line of text.split('\n')) {
    const sum = /^nodejs_gc_duration_seconds_sum\{kind="(\w+)"\} ([\d.e+-]+)/.exec(line);
    if (sum) of(sum[1] as string).sum = Number(sum[2]);
    const count = /^nodejs_gc_duration_seconds_count\{kind="(\w+)"\} ([\d.e+-]+)/.exec(line);
    if (count) of(count[1] as string).count = Number(count[2]);
    const bucket = /^nodejs_gc_duration_seconds_bucket\{le="0\.1",kind="(\w+)"\} ([\d.e+-]+)/.exec(line);
    if (bucket) of(bucket[1] as string).under100ms = Number(bucket[2]);
  }
  const lag = /^nodejs_eventloop_lag_max_seconds ([\d.e+-]+)/m.exec(text);
  return { gc, lagMaxMs: Number(lag?.[1] ?? Number.NaN) * 1000 };
}

function pausesBetween(before: GcScrape, after: { gc: GcScrape; lagMaxMs: number }): RouterPauses {
  const gcSeconds: Record<string, number> = {};
  const gcPausesOver100Ms: Record<string, number> = {};
  for (const [kind, end] of after.gc) {
    const start = before.get(kind) ?? { sum: 0, count: 0, under100ms: 0 };
    gcSeconds[kind] = Number((end.sum - start.sum).toFixed(3));
    gcPausesOver100Ms[kind] = end.count - start.count - (end.under100ms - start.under100ms);
  }
  return { gcSeconds, gcPausesOver100Ms, eventLoopLagMaxMs: Number(after.lagMaxMs.toFixed(1)) };
}

interface RoundResult {
  subscriptions: number;
  mutationsPerSecond: number;
  eventsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  routerRssMb: number;
  routerRssPer1000Mb: number;
  lost: number;
  duplicated: number;
  /** From the first subscribe until every subscription had received an event (the bench's priming bookings). */
  liveAfterSeconds: number;
  /** Subscriptions that ended with an error (graphql-ws `error`): none is expected. */
  subscriptionErrors: number;
  /** Events slower than 50 ms (commit → client). */
  eventsOver50Ms: number;
  /** Per second of the drive (the warm-up's seconds negative): where a tail comes from in time. */
  latencyBySecond: SecondOfLatency[];
  /** The bench process's own longest event-loop delay in the window: a stalled client inflates latency too. */
  clientEventLoopDelayMaxMs: number;
  router: RouterPauses;
}

async function main(): Promise<void> {
  const rounds = (process.env.BENCH_SUBSCRIPTIONS ?? '1000,10000').split(',').map(Number);
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `bench_${randomBytes(3).toString('hex')}_`;
  const databases = await ensureDatabases(adminUrl, SUBGRAPHS.map((name) => `${prefix}${name}`));
  const secret = randomBytes(32).toString('hex');
  const services: ChildService[] = [];
  const log = (name: string, line: string) => {
    if (/"level":(50|60)/.test(line) || /error/i.test(line.slice(0, 80))) process.stderr.write(`${name}| ${line}\n`);
  };
  try {
    const ports = Object.fromEntries(await Promise.all(SUBGRAPHS.map(async (name) => [name, await findFreePort()] as const)));
    const base = { ...process.env, LOG_LEVEL: 'warn', ROUTER_SIGNING_SECRET: secret, REDIS_URL: redisUrl, EVENT_KEY_PREFIX: `${prefix}:` };
    for (const name of SUBGRAPHS) {
      const service = startChildService({
        name,
        script: resolve(ROOT, 'subgraphs', name, 'dist', 'src', 'main.js'),
        env: { ...base, PORT: String(ports[name]), [`${name.toUpperCase()}_DATABASE_URL`]: databases[`${prefix}${name}`] },
        log,
      });
      services.push(service);
      await service.waitUntilReady(`http://127.0.0.1:${ports[name]}/ready`, 60_000);
    }
    const routerPort = await findFreePort();
    const router = startChildService({
      name: 'router',
      script: resolve(ROOT, 'router', 'dist', 'main.js'),
      nodeFlags: serviceNodeFlags('router'),
      env: {
        ...base,
        PORT: String(routerPort),
        MAX_SUBSCRIPTIONS: '20000',
        // Every bench client connects from 127.0.0.1: 200 sockets, 100 subscriptions per guest.
        MAX_SUBSCRIPTION_CONNECTIONS_PER_ADDRESS: '1000',
        MAX_SUBSCRIPTIONS_PER_USER: '1000',
        ...Object.fromEntries(SUBGRAPHS.map((name) => [`${name.toUpperCase()}_URL`, `http://127.0.0.1:${ports[name]}/graphql`])),
      },
      log,
    });
    services.push(router);
    await router.waitUntilReady(`http://127.0.0.1:${routerPort}/health`, 30_000);
    const url = `http://127.0.0.1:${routerPort}/graphql`;
    const metricsUrl = `http://127.0.0.1:${routerPort}/metrics`;
    const routerPid = router.process.pid as number;

    const register = (email: string, role: string) =>
      gql<{ register: { accessToken: string; user: { id: string } } }>(
        url,
        'mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }',
        { input: { email, password: 'bench password 123', displayName: email.split('@')[0], role } },
      ).then((data) => data.register);
    const host = await register(`host-${prefix}@bench.example`, 'HOST');
    const guests = await Promise.all(Array.from({ length: GUESTS }, (_, index) => register(`g${index}-${prefix}@bench.example`, 'GUEST')));
    const { createListing } = await gql<{ createListing: { id: string } }>(
      url,
      'mutation { createListing(input: { title: "Bench loft", city: "Bench", capacity: 2, pricePerNight: { amount: 1000, currency: "EUR" } }) { id } }',
      {},
      host.accessToken,
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      const probe = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${guests[0]!.accessToken}` },
        body: JSON.stringify({ query: `{ quote(listingId: "${createListing.id}", startsAt: "2040-01-01T00:00:00Z", endsAt: "2040-01-02T00:00:00Z") { nights } }` }),
      });
      if (((await probe.json()) as { data?: unknown }).data) break;
      if (Date.now() > deadline) throw new Error('listing never became bookable');
      await new Promise((wait) => setTimeout(wait, 100));
    }

    const results: RoundResult[] = [];
    let slot = 0;
    for (const total of rounds) {
      // The same fan-out in every round: 1,000 subscriptions = 10 guests × 100, 10,000 = 100 × 100.
      const activeGuests = Math.max(1, Math.min(GUESTS, Math.round(total / SUBSCRIBERS_PER_GUEST)));
      const clients: Client[] = [];
      const received = new Map<string, Map<number, number>>(); // bookingId → subscriber → count
      const firstSeen = new Map<string, number>();
      const latencies: number[] = [];
      /** [ms into the measured window, latency ms] of every measured event. */
      const timeline: [number, number][] = [];
      const committedAt = new Map<string, number>();
      let acked = 0;
      const subscribingFrom = performance.now();
      // Set when the drive starts: the priming bookings' events are not in the timeline.
      let warmupEnds = Number.POSITIVE_INFINITY;
      let driving = false;
      let subscriptionErrors = 0;
      for (let socket = 0; socket * SUBSCRIPTIONS_PER_SOCKET < total; socket += 1) {
        const guest = guests[socket % activeGuests]!;
        const client = createClient({
          url: url.replace(/^http/, 'ws'),
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${guest.accessToken}` },
          retryAttempts: 0,
        });
        clients.push(client);
        for (let n = 0; n < SUBSCRIPTIONS_PER_SOCKET && socket * SUBSCRIPTIONS_PER_SOCKET + n < total; n += 1) {
          const subscriber = socket * SUBSCRIPTIONS_PER_SOCKET + n;
          const field = DISTINCT ? `s${subscriber}` : 'myBookings';
          client.subscribe<Record<string, { id: string }>>(
            { query: DISTINCT ? `subscription { ${field}: myBookings { id status } }` : 'subscription { myBookings { id status } }' },
            {
              next: (result) => {
                const id = result.data?.[field]?.id;
                if (!id) return;
                const now = performance.now();
                const perSubscriber = received.get(id) ?? new Map<number, number>();
                perSubscriber.set(subscriber, (perSubscriber.get(subscriber) ?? 0) + 1);
                received.set(id, perSubscriber);
                if (!firstSeen.has(id)) firstSeen.set(id, now);
                const committed = committedAt.get(id);
                // An event may beat the mutation's HTTP response; it then counts as 0 ms.
                const latency = committed === undefined ? 0 : Math.max(0, now - committed);
                // The warm-up's seconds are in the timeline (negative), not in the percentiles.
                if (!driving) return;
                timeline.push([now - warmupEnds, latency]);
                if (now < warmupEnds) return;
                latencies.push(latency);
              },
              // Counted and reported: a subscription that ended in an error would otherwise look like lost events.
              error: () => {
                subscriptionErrors += 1;
              },
              complete: () => undefined,
            },
          );
          acked += 1;
        }
        if (socket % 20 === 19) await new Promise((wait) => setTimeout(wait, 10));
      }
      // Subscribing is asynchronous end to end (graphql-ws acknowledges a connection, not a
      // subscription): the router and bookings work through every subscribe for seconds after
      // the last is sent. Driving then measures that backlog, not delivery (events of the first
      // seconds queued behind it, 0.5 s late). So every subscription is proven live first: one
      // booking per guest, until each subscriber has received its guest's.
      const primed = new Map<number, string[]>();
      const book = async (guestIndex: number) => {
        const day = slot;
        slot += 1;
        const startsAt = new Date(Date.UTC(2040, 0, 1) + day * 86_400_000).toISOString();
        const endsAt = new Date(Date.UTC(2040, 0, 1) + day * 86_400_000 + 3_600_000).toISOString();
        const { createBooking } = await gql<{ createBooking: { id: string } }>(
          url,
          'mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }',
          { input: { listingId: createListing.id, startsAt, endsAt, idempotencyKey: `${prefix}${day}` } },
          guests[guestIndex]!.accessToken,
        );
        primed.set(guestIndex, [...(primed.get(guestIndex) ?? []), createBooking.id]);
      };
      const guestOf = (subscriber: number) => Math.floor(subscriber / SUBSCRIPTIONS_PER_SOCKET) % activeGuests;
      const isLive = (subscriber: number) => (primed.get(guestOf(subscriber)) ?? []).some((id) => received.get(id)?.has(subscriber));
      const liveBy = performance.now() + 120_000;
      // A subscription that became live after its guest's booking was published missed it: that
      // guest books again, every 5 s, until each subscriber has had one.
      for (let attempt = 0; ; attempt += 1) {
        const waiting = new Set<number>();
        for (let subscriber = 0; subscriber < total; subscriber += 1) if (!isLive(subscriber)) waiting.add(guestOf(subscriber));
        if (waiting.size === 0) break;
        if (performance.now() > liveBy) throw new Error(`subscriptions of ${waiting.size} guests received none of their bookings within 120 s`);
        if (attempt % 50 === 0) for (const guestIndex of waiting) await book(guestIndex);
        await new Promise((wait) => setTimeout(wait, 100));
      }
      const liveAfterSeconds = (performance.now() - subscribingFrom) / 1000;
      await new Promise((wait) => setTimeout(wait, 1_000));
      const rssAfterSubscribe = rssMb(routerPid);

      const subscribersPerGuest = total / activeGuests;
      const mutationsPerSecond = Math.max(1, Math.round(TARGET_EVENTS_PER_SECOND / subscribersPerGuest));
      const created: { id: string; guestIndex: number }[] = [];
      warmupEnds = performance.now() + WARMUP_SECONDS * 1000;
      driving = true;
      const started = performance.now();
      const clientDelay = monitorEventLoopDelay({ resolution: 10 });
      // Awaited after the drive: a failed scrape fails the run rather than going unhandled.
      let routerAtStart: Promise<{ gc: GcScrape }> | undefined;
      const measuring = setTimeout(() => {
        clientDelay.enable();
        routerAtStart = scrapeRouter(metricsUrl);
      }, WARMUP_SECONDS * 1000);
      let issued = 0;
      const inFlight: Promise<void>[] = [];
      while (performance.now() - started < (WARMUP_SECONDS + DRIVE_SECONDS) * 1000) {
        const due = Math.floor(((performance.now() - started) / 1000) * mutationsPerSecond);
        while (issued < due) {
          const guestIndex = issued % activeGuests;
          const day = slot;
          slot += 1;
          issued += 1;
          const startsAt = new Date(Date.UTC(2040, 0, 1) + day * 86_400_000).toISOString();
          const endsAt = new Date(Date.UTC(2040, 0, 1) + day * 86_400_000 + 3_600_000).toISOString();
          inFlight.push(
            gql<{ createBooking: { id: string } }>(
              url,
              'mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }',
              { input: { listingId: createListing.id, startsAt, endsAt, idempotencyKey: `${prefix}${day}` } },
              guests[guestIndex]!.accessToken,
            ).then((data) => {
              const now = performance.now();
              committedAt.set(data.createBooking.id, now);
              if (now >= warmupEnds) created.push({ id: data.createBooking.id, guestIndex });
            }),
          );
        }
        await new Promise((wait) => setTimeout(wait, 5));
      }
      await Promise.all(inFlight);
      const elapsed = (performance.now() - warmupEnds) / 1000;
      clearTimeout(measuring);
      clientDelay.disable();
      if (!routerAtStart) throw new Error('the drive ended before its measured window began');
      const router = pausesBetween((await routerAtStart).gc, await scrapeRouter(metricsUrl));
      await new Promise((wait) => setTimeout(wait, 2_000));
      const rss = Math.max(rssAfterSubscribe, rssMb(routerPid));

      let lost = 0;
      let duplicated = 0;
      let delivered = 0;
      for (const booking of created) {
        const perSubscriber = received.get(booking.id) ?? new Map<number, number>();
        for (let subscriber = 0; subscriber < total; subscriber += 1) {
          if (Math.floor(subscriber / SUBSCRIPTIONS_PER_SOCKET) % activeGuests !== booking.guestIndex) continue;
          const count = perSubscriber.get(subscriber) ?? 0;
          if (count === 0) lost += 1;
          if (count > 1) duplicated += count - 1;
          delivered += count;
        }
      }
      latencies.sort((a, b) => a - b);
      const round: RoundResult = {
        subscriptions: acked,
        mutationsPerSecond,
        eventsPerSecond: Math.round(delivered / elapsed),
        latencyP50Ms: Number(percentile(latencies, 50).toFixed(1)),
        latencyP99Ms: Number(percentile(latencies, 99).toFixed(1)),
        routerRssMb: Number(rss.toFixed(1)),
        routerRssPer1000Mb: Number(((rss / acked) * 1000).toFixed(1)),
        lost,
        duplicated,
        liveAfterSeconds: Number(liveAfterSeconds.toFixed(1)),
        subscriptionErrors,
        eventsOver50Ms: latencies.filter((latency) => latency > 50).length,
        latencyBySecond: bySecond(timeline),
        clientEventLoopDelayMaxMs: Number((clientDelay.max / 1e6).toFixed(1)),
        router,
      };
      results.push(round);
      process.stdout.write(`${JSON.stringify(round)}\n`);
      await Promise.all(clients.map((client) => client.dispose()));
      await new Promise((wait) => setTimeout(wait, 1_000));
    }

    mkdirSync(resolve(ROOT, 'bench', 'results'), { recursive: true });
    const when = new Date().toISOString();
    // BENCH_LABEL keeps one run's results apart from another's (e.g. three runs of one build).
    const mode = `${DISTINCT ? 'distinct' : 'shared'}${process.env.BENCH_LABEL ? `-${process.env.BENCH_LABEL.replace(/[^a-z0-9-]/gi, '')}` : ''}`;
    writeFileSync(resolve(ROOT, 'bench', 'results', `subscriptions-${mode}.json`), `${JSON.stringify({ when, mode, results }, null, 2)}\n`);
    const table = [
      '| subscriptions | mutations/s | events/s | p50 ms | p99 ms | events > 50 ms | router RSS MB | RSS per 1,000 subs MB | lost | duplicated | subscription errors | all live after s | router GC s (major / minor / incremental) | router GC pauses > 100 ms | router event-loop lag max ms | bench client loop delay max ms |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...results.map(
        (r) =>
          `| ${r.subscriptions} | ${r.mutationsPerSecond} | ${r.eventsPerSecond} | ${r.latencyP50Ms} | ${r.latencyP99Ms} | ${r.eventsOver50Ms} | ${r.routerRssMb} | ${r.routerRssPer1000Mb} | ${r.lost} | ${r.duplicated} | ${r.subscriptionErrors} | ${r.liveAfterSeconds} | ${r.router.gcSeconds.major ?? 0} / ${r.router.gcSeconds.minor ?? 0} / ${r.router.gcSeconds.incremental ?? 0} | ${Object.values(r.router.gcPausesOver100Ms).reduce((a, b) => a + b, 0)} | ${r.router.eventLoopLagMaxMs} | ${r.clientEventLoopDelayMaxMs} |`,
      ),
    ].join('\n');
    writeFileSync(
      resolve(ROOT, 'bench', 'results', `subscriptions-${mode}.md`),
      `# Subscriptions benchmark, ${mode} operations (${when})\n\n${table}\n\nLatency by second of the drive, the warm-up's seconds negative (events, p50 ms, max ms):\n\n${results
        .map((r) => `- ${r.subscriptions} subscriptions: ${r.latencyBySecond.map((one) => `${one.second}s ${one.events}/${one.p50Ms}/${one.maxMs}`).join(', ')}`)
        .join('\n')}\n`,
    );
    process.stdout.write(`\n${table}\n`);
  } finally {
    for (const service of services.reverse()) await service.stop();
    await dropDatabases(adminUrl, SUBGRAPHS.map((name) => `${prefix}${name}`));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
