/**
 * `npm run bench:soak`: memory over time under sustained mixed load with faults in it (issue 17).
 * Starts its own redis-server (append-only, as `npm start` does) and the stack as separate
 * processes (four subgraphs, one router), each with its inspector on a local port. Then:
 * warm-up, baseline (heap after a full GC), SOAK_LOAD_SECONDS of queries, booking mutations and
 * graphql-ws + multipart subscriptions (held and churned), and hostile requests (SOAK_HOSTILE:
 * malformed, oversized, never-seen, deep, forged, abandoned) with Redis killed for
 * SOAK_OUTAGE_SECONDS and catalog restarted in the middle, then SOAK_IDLE_SECONDS idle.
 * Services log at SOAK_LOG_LEVEL (info, as `npm start`). SOAK_STALL_OUTPUT=1 stops reading every
 * service's stdout from the start of the load to the middle of the idle, as a stalled log shipper
 * (or, in issue 17's incident, `npm start`'s blocked launcher) does; SOAK_LOG_BUFFER_BYTES sets
 * the services' LOG_BUFFER_BYTES (a huge value: the unbounded buffer before the fix). RSS (/proc) and heap used are sampled every SOAK_SAMPLE_MS. Fails (exit 1) when a service's
 * heap after a full GC at the end of the idle is over its baseline by more than 10 %, or grows
 * during the idle. Writes bench/results/soak-<SOAK_LABEL>.{json,md,svg}. Targets 127.0.0.1 only.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  dropDatabases,
  ensureDatabases,
  findFreePort,
  inspectHeap,
  residentBytes,
  startChildService,
  startRedisServer,
  type ChildService,
  type HeapInspector,
  type RunningRedis,
} from '@booking/infra';
import { serviceNodeFlags } from '@booking/runtime';
import { gql } from './graphqlCall';

const ROOT = resolve(__dirname, '..', '..');
const SUBGRAPHS = ['accounts', 'catalog', 'bookings', 'billing'] as const;
const LOAD_SECONDS = Number(process.env.SOAK_LOAD_SECONDS ?? 120);
const IDLE_SECONDS = Number(process.env.SOAK_IDLE_SECONDS ?? 60);
const OUTAGE_SECONDS = Number(process.env.SOAK_OUTAGE_SECONDS ?? 20);
const SAMPLE_MS = Number(process.env.SOAK_SAMPLE_MS ?? 2_000);
const LABEL = process.env.SOAK_LABEL ?? 'latest';
/**
 * Every service's LOG_LEVEL. `info`, as `npm start` runs them (a line per request, read by this
 * process as the launcher reads its children's), where the issue's router died; `warn` to leave
 * logging out of the picture.
 */
const LOG_LEVEL = process.env.SOAK_LOG_LEVEL ?? 'info';
/** Stop reading the services' stdout from the load's start to the middle of the idle. */
const STALL_OUTPUT = process.env.SOAK_STALL_OUTPUT === '1';
/** The services' LOG_BUFFER_BYTES; unset, their default. */
const LOG_BUFFER_BYTES = process.env.SOAK_LOG_BUFFER_BYTES;
/** Malformed, oversized, novel and abandoned requests and sockets beside the normal load (issue 17's fuzz run). */
const HOSTILE = process.env.SOAK_HOSTILE !== '0';
/** Heap after GC at the end may exceed the baseline by this share. */
const BASELINE_TOLERANCE = 0.1;
/** Heap after GC may grow this much during the idle (allocator noise), no more. */
const IDLE_SLACK_BYTES = 1024 * 1024;
const MB = 1024 * 1024;

interface Service {
  name: string;
  child: ChildService;
  heap: HeapInspector;
  /** Its /metrics (log_lines_dropped_total). */
  metricsUrl: string;
  start(): Promise<void>;
}

interface Sample {
  t: number;
  phase: string;
  service: string;
  rssMb: number;
  heapMb: number;
}

const sleep = (ms: number) => new Promise<void>((wait) => setTimeout(wait, ms));

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const prefix = `soak_${randomBytes(3).toString('hex')}_`;
  const names = SUBGRAPHS.map((name) => `${prefix}${name}`);
  const databases = await ensureDatabases(adminUrl, names);
  const redisDir = mkdtempSync(join(tmpdir(), 'soak-redis-'));
  const redisPort = await findFreePort();
  let redis: RunningRedis = await startRedisServer({ port: redisPort, dir: redisDir, appendOnly: true });
  const secret = randomBytes(32).toString('hex');
  const services: Service[] = [];
  const log = (name: string, line: string) => {
    if (/"level":(50|60)/.test(line) || /heap|FATAL/i.test(line.slice(0, 120))) process.stderr.write(`${name}| ${line.slice(0, 400)}\n`);
  };
  let outputStalled = false;
  const base = { ...process.env, LOG_LEVEL: LOG_LEVEL, ...(LOG_BUFFER_BYTES ? { LOG_BUFFER_BYTES } : {}), ROUTER_SIGNING_SECRET: secret, REDIS_URL: redis.url, EVENT_KEY_PREFIX: `${prefix}:` };
  const startService = async (name: string, script: string, env: NodeJS.ProcessEnv, readyUrl: string): Promise<Service> => {
    const inspectPort = await findFreePort();
    const service = { name, metricsUrl: new URL('/metrics', readyUrl).href } as Service;
    service.start = async () => {
      service.heap?.close();
      service.child = startChildService({
        name,
        script,
        nodeFlags: serviceNodeFlags(name),
        env: { ...env, NODE_OPTIONS: `--inspect=127.0.0.1:${inspectPort}` },
        log,
      });
      await service.child.waitUntilReady(readyUrl, 60_000);
      service.heap = await inspectHeap(inspectPort);
      // A service restarted while its output is stalled finds its reader stalled too.
      if (outputStalled) service.child.pauseOutput();
    };
    await service.start();
    services.push(service);
    return service;
  };
  // Stopped by a signal: take the stack down with it (its databases stay; drop soak_* by hand).
  const stopOnSignal = (signal: NodeJS.Signals) => {
    for (const service of services) service.child.process.kill('SIGTERM');
    redis.process.kill('SIGTERM');
    process.stderr.write(`soak stopped by ${signal}\n`);
    process.exit(130);
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  const samples: Sample[] = [];
  let phase = 'warm-up';
  const progress = (line: string) => process.stdout.write(`soak ${((Date.now() - started) / 1000).toFixed(0)} s: ${line}\n`);
  const started = Date.now();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const t = (Date.now() - started) / 1000;
      for (const service of services) {
        if (!service.heap) continue;
        const heap = await service.heap.heapUsed().catch(() => 0);
        samples.push({ t, phase, service: service.name, rssMb: residentBytes(service.child.process.pid ?? 0) / MB, heapMb: heap / MB });
      }
      await sleep(SAMPLE_MS);
    }
  })();
  try {
    const ports = Object.fromEntries(await Promise.all(SUBGRAPHS.map(async (name) => [name, await findFreePort()] as const)));
    for (const name of SUBGRAPHS) {
      await startService(
        name,
        resolve(ROOT, 'subgraphs', name, 'dist', 'src', 'main.js'),
        { ...base, PORT: String(ports[name]), [`${name.toUpperCase()}_DATABASE_URL`]: databases[`${prefix}${name}`] },
        `http://127.0.0.1:${ports[name]}/ready`,
      );
    }
    const routerPort = await findFreePort();
    await startService(
      'router',
      resolve(ROOT, 'router', 'dist', 'main.js'),
      { ...base, PORT: String(routerPort), ...Object.fromEntries(SUBGRAPHS.map((name) => [`${name.toUpperCase()}_URL`, `http://127.0.0.1:${ports[name]}/graphql`])) },
      `http://127.0.0.1:${routerPort}/ready`,
    );
    const url = `http://127.0.0.1:${routerPort}/graphql`;
    const register = (email: string, role: string) =>
      gql<{ register: { accessToken: string } }>(url, 'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }', {
        input: { email, password: 'soak password 123', displayName: email.split('@')[0], role },
      }).then((data) => data.register.accessToken);
    const host = await register(`host-${prefix}@soak.example`, 'HOST');
    const guest = await register(`guest-${prefix}@soak.example`, 'GUEST');
    const { createListing } = await gql<{ createListing: { id: string } }>(
      url,
      'mutation { createListing(input: { title: "Soak loft", city: "Soak", capacity: 2, pricePerNight: { amount: 1000, currency: "EUR" } }) { id } }',
      {},
      host,
    );
    const listingId = createListing.id;
    // The listing reaches bookings through the event stream.
    for (const deadline = Date.now() + 30_000; ; await sleep(200)) {
      const quoted = await gql(url, `{ quote(listingId: "${listingId}", startsAt: "2040-01-01T00:00:00Z", endsAt: "2040-01-02T00:00:00Z") { nights } }`, {}, guest).catch(() => null);
      if (quoted) break;
      if (Date.now() > deadline) throw new Error('the listing never became bookable');
    }

    let night = 0;
    const counts = { queries: 0, mutations: 0, subscriptions: 0, failed: 0, events: 0, hostile: 0, hostileHung: 0 };
    const drive = async (seconds: number) => {
      const until = Date.now() + seconds * 1000;
      const running = () => Date.now() < until;
      const attempt = async (kind: 'queries' | 'mutations', run: () => Promise<unknown>) => {
        try {
          await run();
          counts[kind] += 1;
        } catch {
          counts.failed += 1;
          await sleep(50);
        }
      };
      const queries = async () => {
        while (running()) await attempt('queries', () => gql(url, 'query($id: ID!) { listing(id: $id) { id title city } }', { id: listingId }, guest));
      };
      const mutations = async () => {
        while (running()) {
          const day = new Date(Date.UTC(2040, 0, 1) + (night += 2) * 86_400_000);
          await attempt('mutations', async () => {
            const { createBooking } = await gql<{ createBooking: { id: string } }>(
              url,
              'mutation($l: ID!, $s: DateTimeISO!, $e: DateTimeISO!, $k: String!) { createBooking(input: { listingId: $l, startsAt: $s, endsAt: $e, idempotencyKey: $k }) { id } }',
              { l: listingId, s: day.toISOString(), e: new Date(day.getTime() + 86_400_000).toISOString(), k: randomUUID() },
              guest,
            );
            await gql(url, 'mutation($id: ID!) { cancelBooking(id: $id) { status } }', { id: createBooking.id }, guest);
          });
        }
      };
      const subscribeOn = (client: ReturnType<typeof createClient>, i: number) =>
        client.subscribe(
          { query: `subscription($l: ID!) { availabilityChanged(listingId: $l) { listingId s${i}: startsAt available } }`, variables: { l: listingId } },
          { next: () => (counts.events += 1), error: () => (counts.failed += 1), complete: () => undefined },
        );
      const churn = async () => {
        while (running()) {
          const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${guest}` }, retryAttempts: 0, lazy: true });
          const stops = Array.from({ length: 5 }, (_, i) => subscribeOn(client, i));
          await sleep(300);
          stops.forEach((stop) => stop());
          await client.dispose();
          counts.subscriptions += 5;
        }
      };
      const multipart = async () => {
        while (running()) {
          const controller = new AbortController();
          await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'multipart/mixed;subscriptionSpec=1.0', authorization: `Bearer ${host}` },
            body: JSON.stringify({ query: `subscription { availabilityChanged(listingId: "${listingId}") { listingId } }` }),
            signal: controller.signal,
          })
            .then(async (response) => {
              void response.body?.pipeTo(new WritableStream()).catch(() => undefined);
              counts.subscriptions += 1;
              await sleep(400);
            })
            .catch(() => (counts.failed += 1));
          controller.abort();
        }
      };
      // What a hostile or careless client sends (SOAK_HOSTILE=0 leaves it out): every request
      // is refused or fails, and none of it may stay behind in memory.
      const hostile = async () => {
        let sequence = 0;
        const raw = (body: string | Uint8Array, headers: Record<string, string> = {}, method = 'POST', query = '') =>
          fetch(`${url}${query}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: method === 'GET' ? undefined : body, signal: AbortSignal.timeout(10_000) })
            .then((response) => response.arrayBuffer())
            .catch(() => undefined);
        const deep = (depth: number) => `{ listing(id: "x") { ${'host { listings { '.repeat(depth)}id${' } }'.repeat(depth)} } }`;
        const cases: (() => Promise<unknown>)[] = [
          // A never-seen operation text each time: parse, validation and planning, then the caches.
          () => raw(JSON.stringify({ query: `query Fuzz${sequence}($id: ID!) { listing(id: $id) { id title f${sequence % 7}: city } }`, variables: { id: listingId } }), { authorization: `Bearer ${guest}` }),
          () => raw('{"query": "{ listing(id: \\"'),
          () => raw(JSON.stringify({ query: `{ listing(id: "${sequence}") { id nope${sequence} } }` })),
          () => raw(JSON.stringify({ query: `{ ${'listing'.repeat(3)}${sequence} (` })),
          () => raw(JSON.stringify({ query: 'query($id: ID!) { listing(id: $id) { id } }', variables: { id: { nested: [sequence] } } })),
          () => raw(JSON.stringify({ query: deep(30) })),
          () => raw(JSON.stringify({ query: `{ __schema { types { name fields { name type { name ofType { name } } } } } }` })),
          () => raw(JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }])),
          () => raw(new Uint8Array(2 * 1024 * 1024).fill(32)),
          () => raw('{"query":"{ __typename }"}', { 'content-type': 'text/plain' }),
          () => raw('', {}, 'GET', `?query=${encodeURIComponent(`{ listing(id: "${sequence}") { id } }`)}`),
          () => raw(JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: randomBytes(32).toString('hex') } } })),
          () => raw(JSON.stringify({ query: '{ viewer { id } }' }), { authorization: `Bearer ${randomBytes(40).toString('base64url')}` }),
          // A client that leaves mid-request.
          async () => {
            const controller = new AbortController();
            const pending = fetch(url, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${guest}` },
              body: JSON.stringify({ query: `query Gone${sequence} { listing(id: "${listingId}") { id title } }` }),
              signal: controller.signal,
            }).catch(() => undefined);
            setTimeout(() => controller.abort(), 1);
            return pending;
          },
          // graphql-ws: a socket that never says connection_init, and one with a forged token.
          () =>
            new Promise<void>((done) => {
              const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
              socket.on('open', () => setTimeout(() => socket.terminate(), 200));
              socket.on('error', () => done());
              socket.on('close', () => done());
            }),
          async () => {
            const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { Authorization: 'Bearer forged' }, retryAttempts: 0, lazy: true });
            await new Promise<void>((done) => client.subscribe({ query: 'subscription { myBookings { id } }' }, { next: () => undefined, error: () => done(), complete: () => done() }));
            await client.dispose();
          },
        ];
        while (running()) {
          const run = cases[sequence++ % cases.length] as () => Promise<unknown>;
          // None may hold the load phase open: a case the router never answers is counted and left.
          let timer: NodeJS.Timeout | undefined;
          const outcome = await Promise.race([
            run().then(() => 'done' as const, () => 'done' as const),
            new Promise<'hung'>((settle) => (timer = setTimeout(() => settle('hung'), 15_000))),
          ]);
          clearTimeout(timer);
          if (outcome === 'hung') {
            counts.hostileHung += 1;
            process.stderr.write(`hostile case ${(sequence - 1) % cases.length} got no answer within 15 s\n`);
          }
          counts.hostile += 1;
        }
      };
      // Held for the whole phase, the faults included, as a dashboard would.
      const held = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${host}` }, retryAttempts: 0, lazy: true });
      const heldStops = Array.from({ length: 20 }, (_, i) => subscribeOn(held, 100 + i));
      await Promise.all([queries(), queries(), mutations(), churn(), churn(), multipart(), ...(HOSTILE ? [hostile(), hostile()] : [])]);
      heldStops.forEach((stop) => stop());
      await held.dispose();
    };
    // The router's operation caches fill with never-seen operations up to their bound
    // (OPERATION_CACHE_MAX_BYTES) by design; what they hold is read from its own gauge.
    const routerCacheBytes = async () => {
      const text = await (await fetch(`http://127.0.0.1:${routerPort}/metrics`)).text();
      return [...text.matchAll(/^router_operation_cache_bytes\{[^}]*\} (\S+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    };
    const stallOutput = (stalled: boolean) => {
      outputStalled = stalled;
      for (const service of services) (stalled ? service.child.pauseOutput() : service.child.resumeOutput());
      progress(stalled ? "every service's stdout no longer read" : "every service's stdout read again");
    };
    const droppedLogLines = async () =>
      Object.fromEntries(
        await Promise.all(
          services.map(async (service) => {
            const text = await (await fetch(service.metricsUrl)).text().catch(() => '');
            const dropped = [...text.matchAll(/^log_lines_dropped_total(?:\{[^}]*\})? (\S+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
            return [service.name, dropped] as const;
          }),
        ),
      );
    const heapsAfterGc = async () => Object.fromEntries(await Promise.all(services.map(async (service) => [service.name, await service.heap.heapUsedAfterGc()] as const)));

    await drive(10);
    phase = 'baseline';
    progress('baseline');
    await sleep(2_000);
    const baseline = await heapsAfterGc();
    const cachesAtBaseline = await routerCacheBytes();
    phase = 'load';
    if (STALL_OUTPUT) stallOutput(true);
    const faults = (async () => {
      await sleep((LOAD_SECONDS / 3) * 1000);
      phase = 'redis down';
      progress('redis killed');
      redis.process.kill('SIGKILL');
      await sleep(OUTAGE_SECONDS * 1000);
      redis = await startRedisServer({ port: redisPort, dir: redisDir, appendOnly: true });
      phase = 'load';
      await sleep((LOAD_SECONDS / 6) * 1000);
      phase = 'catalog restart';
      progress('catalog restart');
      const catalog = services.find((service) => service.name === 'catalog')!;
      await catalog.child.stop();
      await catalog.start();
      phase = 'load';
    })();
    await Promise.all([drive(LOAD_SECONDS), faults]);
    phase = 'idle';
    progress(`idle; ${JSON.stringify(counts)}`);
    await sleep(5_000);
    const idleStart = await heapsAfterGc();
    // Stalled: half the idle with stdout still unread (what the buffer holds may not grow), then
    // read again (what it held must be given back).
    let idleStalled: Record<string, number> | undefined;
    let dropped: Record<string, number> | undefined;
    if (STALL_OUTPUT) {
      await sleep((IDLE_SECONDS / 2) * 1000);
      idleStalled = await heapsAfterGc();
      dropped = await droppedLogLines();
      stallOutput(false);
      phase = 'idle, output read';
      await sleep((IDLE_SECONDS / 2) * 1000);
    } else {
      await sleep(IDLE_SECONDS * 1000);
    }
    const idleEnd = await heapsAfterGc();
    const cacheGrowth = Math.max(0, (await routerCacheBytes()) - cachesAtBaseline);
    sampling = false;
    await sampler;

    const verdicts = services.map((service) => {
      const name = service.name;
      // The router may keep what its bounded caches took on, and no more.
      const cachedMb = name === 'router' ? cacheGrowth / MB : 0;
      const overBaseline = idleEnd[name]! > baseline[name]! * (1 + BASELINE_TOLERANCE) + cachedMb * MB;
      const growsIdle = idleEnd[name]! > idleStart[name]! + IDLE_SLACK_BYTES;
      const growsStalled = idleStalled !== undefined && idleStalled[name]! > idleStart[name]! + IDLE_SLACK_BYTES;
      return {
        service: name,
        baselineMb: baseline[name]! / MB,
        idleStartMb: idleStart[name]! / MB,
        idleEndMb: idleEnd[name]! / MB,
        idleStalledMb: idleStalled ? idleStalled[name]! / MB : null,
        droppedLogLines: dropped?.[name] ?? null,
        peakRssMb: Math.max(...samples.filter((sample) => sample.service === name).map((sample) => sample.rssMb)),
        cachedMb,
        passed: !overBaseline && !growsIdle && !growsStalled,
        reason: overBaseline
          ? `heap after GC ${(idleEnd[name]! / MB).toFixed(1)} MB > baseline ${(baseline[name]! / MB).toFixed(1)} MB + 10 %${cachedMb > 0 ? ` + ${cachedMb.toFixed(1)} MB of bounded caches` : ''}`
          : growsIdle
            ? 'heap after GC grew while idle'
            : growsStalled
              ? 'heap after GC grew while idle with stdout unread'
              : 'ok',
      };
    });
    const passed = verdicts.every((verdict) => verdict.passed);
    const settings = {
      loadSeconds: LOAD_SECONDS,
      idleSeconds: IDLE_SECONDS,
      outageSeconds: OUTAGE_SECONDS,
      sampleMs: SAMPLE_MS,
      logLevel: LOG_LEVEL,
      stallOutput: STALL_OUTPUT,
      logBufferBytes: LOG_BUFFER_BYTES ?? 'default',
    };
    const resultsDir = resolve(ROOT, 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(resolve(resultsDir, `soak-${LABEL}.json`), `${JSON.stringify({ settings, counts, passed, verdicts, samples }, null, 1)}\n`);
    writeFileSync(resolve(resultsDir, `soak-${LABEL}.svg`), plot(samples));
    const stalledCells = (v: (typeof verdicts)[number]) => (STALL_OUTPUT ? ` ${v.idleStalledMb?.toFixed(1)} | ${v.droppedLogLines} |` : '');
    const table = verdicts.map(
      (v) =>
        `| ${v.service} | ${v.baselineMb.toFixed(1)} | ${v.idleStartMb.toFixed(1)} |${stalledCells(v)} ${v.idleEndMb.toFixed(1)} | ${v.service === 'router' ? v.cachedMb.toFixed(1) : '—'} | ${v.peakRssMb.toFixed(0)} | ${v.passed ? 'pass' : `FAIL: ${v.reason}`} |`,
    );
    writeFileSync(
      resolve(resultsDir, `soak-${LABEL}.md`),
      [
        `# Soak: memory under load with a Redis outage and a catalog restart (${new Date().toISOString()})`,
        '',
        `Load ${LOAD_SECONDS} s, Redis killed for ${OUTAGE_SECONDS} s at a third of it, catalog restarted ${Math.round(LOAD_SECONDS / 6)} s after Redis came back (the load phase lasts until then), then ${IDLE_SECONDS} s idle. Services logged at \`${LOG_LEVEL}\`` +
          `, LOG_BUFFER_BYTES ${LOG_BUFFER_BYTES ?? 'default (8 MiB)'}.` +
          (STALL_OUTPUT ? ` Every service's stdout was left unread from the start of the load to the middle of the idle (a stalled log reader), then read again.` : ''),
        `Requests: ${counts.queries} queries, ${counts.mutations} booking+cancel pairs, ${counts.subscriptions} subscriptions opened, ${counts.events} events received, ${counts.failed} failed (during the faults)` +
          (HOSTILE ? `; ${counts.hostile} hostile requests and sockets (malformed, oversized, novel, deep, forged, abandoned: all refused or failed, by design), ${counts.hostileHung} of them never answered within 15 s.` : '.'),
        '',
        `| service | heap after GC, baseline (MB) | idle start (MB) |${STALL_OUTPUT ? ' mid-idle, stdout still unread (MB) | log lines dropped by then |' : ''} idle end (MB) | router operation caches grew by (MB, bounded by OPERATION_CACHE_MAX_BYTES) | peak RSS (MB) | verdict |`,
        `|---|---|---|${STALL_OUTPUT ? '---|---|' : ''}---|---|---|---|`,
        ...table,
        '',
        'Verdict: heap after a full GC at the end of the idle within 10 % of the baseline (for the router, plus what its bounded operation caches took on, read from its `router_operation_cache_bytes` gauge), and not growing while idle' +
          (STALL_OUTPUT ? ' (neither while stdout was still unread nor after).' : '.'),
        '',
        `Curve: soak-${LABEL}.svg (heap used, sampled without GC, and RSS per process).`,
        '',
      ].join('\n'),
    );
    process.stdout.write(`${table.join('\n')}\n${passed ? 'soak passed' : 'soak FAILED'}\n`);
    if (!passed) process.exitCode = 1;
  } finally {
    sampling = false;
    for (const service of services.reverse()) {
      service.heap?.close();
      await service.child.stop();
    }
    await redis.stop();
    rmSync(redisDir, { recursive: true, force: true });
    await dropDatabases(adminUrl, names);
  }
}

const COLORS: Record<string, string> = { router: '#d62728', accounts: '#1f77b4', catalog: '#2ca02c', bookings: '#9467bd', billing: '#ff7f0e' };

/** Heap (solid) and RSS (dashed) per service over time, fault phases shaded: a plain SVG. */
function plot(samples: readonly Sample[]): string {
  const width = 900;
  const height = 420;
  const left = 60;
  const bottom = 40;
  const top = 30;
  const right = 130;
  const maxT = Math.max(1, ...samples.map((sample) => sample.t));
  const maxMb = Math.max(10, ...samples.map((sample) => sample.rssMb)) * 1.05;
  const x = (t: number) => left + (t / maxT) * (width - left - right);
  const y = (mb: number) => height - bottom - (mb / maxMb) * (height - bottom - top);
  const shaded: string[] = [];
  const router = samples.filter((sample) => sample.service === 'router');
  for (let i = 1; i < router.length; i++) {
    const phase = router[i - 1]!.phase;
    const fill =
      phase === 'redis down' ? '#fdd' : phase === 'catalog restart' ? '#dfd' : phase === 'idle' ? '#eef' : phase === 'idle, output read' ? '#f4f4ff' : phase === 'load' ? '#f6f6f6' : undefined;
    if (fill) shaded.push(`<rect x="${x(router[i - 1]!.t).toFixed(1)}" y="${top}" width="${(x(router[i]!.t) - x(router[i - 1]!.t)).toFixed(1)}" height="${height - top - bottom}" fill="${fill}"/>`);
  }
  const lines = Object.keys(COLORS).flatMap((service, index) => {
    const points = samples.filter((sample) => sample.service === service);
    if (points.length === 0) return [];
    const path = (value: (sample: Sample) => number) => points.map((sample) => `${x(sample.t).toFixed(1)},${y(value(sample)).toFixed(1)}`).join(' ');
    return [
      `<polyline fill="none" stroke="${COLORS[service]}" stroke-width="1.5" points="${path((sample) => sample.heapMb)}"/>`,
      `<polyline fill="none" stroke="${COLORS[service]}" stroke-width="1" stroke-dasharray="4 3" points="${path((sample) => sample.rssMb)}"/>`,
      `<text x="${width - right + 10}" y="${top + 15 + index * 16}" fill="${COLORS[service]}" font-size="12">${service}</text>`,
    ];
  });
  const ticks = Array.from({ length: 6 }, (_, i) => (maxMb / 5) * i).map(
    (mb) => `<line x1="${left}" x2="${width - right}" y1="${y(mb).toFixed(1)}" y2="${y(mb).toFixed(1)}" stroke="#ddd"/><text x="${left - 6}" y="${(y(mb) + 4).toFixed(1)}" font-size="11" text-anchor="end">${mb.toFixed(0)}</text>`,
  );
  const timeTicks = Array.from({ length: 6 }, (_, i) => (maxT / 5) * i).map(
    (t) => `<text x="${x(t).toFixed(1)}" y="${height - bottom + 16}" font-size="11" text-anchor="middle">${t.toFixed(0)} s</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...shaded,
    ...ticks,
    ...timeTicks,
    ...lines,
    `<text x="${left}" y="18" font-size="13">Memory per process (MB), heap solid, RSS dashed. Load grey, Redis down red, catalog restart green, idle blue (paler: stdout read again)</text>`,
    `<text x="${width - right + 10}" y="${top + 100}" font-size="11" fill="#555">solid: heap</text>`,
    `<text x="${width - right + 10}" y="${top + 116}" font-size="11" fill="#555">dashed: RSS</text>`,
    '</svg>',
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`soak failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
