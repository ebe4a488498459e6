import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { SUBGRAPH_NAMES, type SubgraphName } from '@booking/runtime';
import {
  connectSubscriptions,
  findFreePort,
  graphqlRequest,
  heapGrowth,
  inspectHeap,
  registerThroughRouter,
  routerProcessEnv,
  startRedisServer,
  startServiceProcess,
  openMultipartSubscription,
  waitUntilBookable,
  startStack,
  type HeapInspector,
  type RunningRedis,
  type ServiceProcess,
  type Stack,
} from '@booking/testkit';

/**
 * The router after a Redis outage that came while requests and subscriptions were in flight
 * (issue 17): once the load is gone its heap, after a full GC, is back near where it was
 * before the load, and it does not grow while idle. The router is a process of its own whose
 * heap is read through its inspector; Redis is a redis-server of this test's own.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'router-outage-memory-'));
let redis: RunningRedis;
let redisPort: number;
let stack: Stack;
let router: ServiceProcess;
let routerUrl: string;
let heap: HeapInspector;
let hostToken: string;
let listingId: string;
let guestToken: string;
let night = 0;

const MB = 1024 * 1024;

beforeAll(async () => {
  redisPort = await findFreePort();
  redis = await startRedisServer({ port: redisPort, dir: dataDir, appendOnly: false });
  const onOurRedis = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, { redisUrl: redis.url }])) as Record<SubgraphName, { redisUrl: string }>;
  stack = await startStack({ config: onOurRedis, routerEnv: { REDIS_URL: redis.url } });
  const port = await findFreePort();
  const inspectPort = await findFreePort();
  router = startServiceProcess(
    'router',
    routerProcessEnv(stack, port, { env: { REDIS_URL: redis.url, LOG_LEVEL: 'info', NODE_OPTIONS: `--inspect=127.0.0.1:${inspectPort}` } }),
  );
  await router.waitUntilReady(`http://127.0.0.1:${port}/ready`);
  routerUrl = `http://127.0.0.1:${port}/graphql`;
  heap = await inspectHeap(inspectPort);
  const host = await registerThroughRouter(stack, `host-${randomUUID()}@outage.example`, 'HOST');
  hostToken = host.accessToken;
  const listing = await graphqlRequest<{ createListing: { id: string } }>(
    routerUrl,
    `mutation { createListing(input: { title: "Outage loft", city: "Faro", capacity: 2, pricePerNight: { amount: 5000, currency: "EUR" } }) { id } }`,
    {},
    { authorization: `Bearer ${hostToken}` },
  );
  listingId = listing.data!.createListing.id;
  const guest = await registerThroughRouter(stack, `guest-${randomUUID()}@outage.example`);
  guestToken = guest.accessToken;
  await waitUntilBookable(stack, listingId, guest);
}, 60_000);

afterAll(async () => {
  heap?.close();
  await router?.stop();
  await stack?.stop();
  await redis?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Queries, mutations and churning subscriptions until `until` resolves. */
async function load(until: Promise<void>): Promise<number> {
  let running = true;
  void until.then(() => (running = false));
  let requests = 0;
  const auth = { authorization: `Bearer ${hostToken}` };
  const queries = async () => {
    while (running) {
      await graphqlRequest(routerUrl, 'query($id: ID!) { listing(id: $id) { id title city } }', { id: listingId }, auth).catch(() => undefined);
      requests += 1;
    }
  };
  // Bookings made and cancelled: availability events reach the subscriptions through Redis.
  const mutations = async () => {
    const asGuest = { authorization: `Bearer ${guestToken}` };
    while (running) {
      const day = new Date(Date.UTC(2040, 0, 1) + (night += 2) * 86_400_000);
      const until = new Date(day.getTime() + 86_400_000);
      const booked = await graphqlRequest<{ createBooking: { id: string } }>(
        routerUrl,
        'mutation($l: ID!, $s: DateTimeISO!, $e: DateTimeISO!, $k: String!) { createBooking(input: { listingId: $l, startsAt: $s, endsAt: $e, idempotencyKey: $k }) { id } }',
        { l: listingId, s: day.toISOString(), e: until.toISOString(), k: randomUUID() },
        asGuest,
      ).catch(() => undefined);
      requests += 1;
      const id = booked?.data?.createBooking?.id;
      if (id) {
        await graphqlRequest(routerUrl, 'mutation($id: ID!) { cancelBooking(id: $id) { status } }', { id }, asGuest).catch(() => undefined);
        requests += 1;
      }
    }
  };
  const subscriptions = async () => {
    while (running) {
      const connection = connectSubscriptions(routerUrl, { Authorization: `Bearer ${hostToken}` });
      const open = Array.from({ length: 5 }, (_, i) =>
        connection.subscribe(i % 2 ? `subscription($l: ID!) { availabilityChanged(listingId: $l) { listingId } }` : `subscription($l: ID!) { availabilityChanged(listingId: $l) { listingId available } }`, { l: listingId }),
      );
      await new Promise((wait) => setTimeout(wait, 300));
      open.forEach((subscription) => subscription.complete());
      await connection.dispose();
      requests += 1;
    }
  };
  // Subscriptions held across the whole load (the outage included), as a dashboard would.
  const held = connectSubscriptions(routerUrl, { Authorization: `Bearer ${hostToken}` });
  const heldOpen = Array.from({ length: 20 }, (_, i) => held.subscribe(`subscription($l: ID!) { availabilityChanged(listingId: $l) { listingId s${i}: startsAt } }`, { l: listingId }));
  // Multipart HTTP subscriptions opened and dropped by the client.
  const multipart = async () => {
    while (running) {
      const response = await openMultipartSubscription(routerUrl, `subscription { availabilityChanged(listingId: "${listingId}") { listingId } }`, hostToken).catch(() => undefined);
      response?.resume();
      await new Promise((wait) => setTimeout(wait, 400));
      response?.destroy();
      requests += 1;
    }
  };
  await Promise.all([queries(), queries(), mutations(), subscriptions(), subscriptions(), multipart()]);
  heldOpen.forEach((subscription) => subscription.complete());
  await held.dispose();
  return requests;
}

const sleep = (ms: number) => new Promise<void>((wait) => setTimeout(wait, ms));

test('heap returns to its baseline after load with a Redis outage in it, and does not grow while idle', async () => {
  // Warm up (JIT, caches, pools) before the baseline.
  await load(sleep(3_000));
  const baseline = await heap.heapUsedAfterGc();
  const before = await heap.objectCounts();
  const loadDone = (async () => {
    await sleep(3_000);
    // Killed, as an outage kills it, not shut down.
    redis.process.kill('SIGKILL');
    await sleep(2_000);
    // One subgraph restarted in the middle of it: its upstream subscription sockets drop.
    await stack.subgraphs.catalog.stop();
    await sleep(2_000);
    await stack.subgraphs.catalog.restart();
    await sleep(4_000);
    redis = await startRedisServer({ port: redisPort, dir: dataDir, appendOnly: false });
    await sleep(3_000);
  })();
  const requests = await load(loadDone);
  await sleep(2_000);
  const afterLoad = await heap.heapUsedAfterGc();
  await sleep(10_000);
  const idle = await heap.heapUsedAfterGc();
  const after = await heap.objectCounts();
  const figures = { requests, baselineMb: baseline / MB, afterLoadMb: afterLoad / MB, idleMb: idle / MB };
  // On failure the message names what grew (constructors, by bytes): where to look.
  const report = JSON.stringify({ ...figures, grown: heapGrowth(before, after, 15) });
  expect({ requests: requests > 200, backToBaseline: idle < baseline * 1.1, notGrowingIdle: idle <= afterLoad + MB, report }).toEqual({
    requests: true,
    backToBaseline: true,
    notGrowingIdle: true,
    report,
  });
}, 90_000);
