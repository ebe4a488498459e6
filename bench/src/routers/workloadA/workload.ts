/**
 * Workload A: our own supergraph on the real subgraphs (own processes, own databases), bulk
 * seeded with fixed data, behind the replay proxy. Operations: a one-subgraph lookup, 20
 * bookings with listing, guest and invoice, 50 listings with their bookings and guests,
 * createBooking on distinct slots, and a never-seen operation per request.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { delegateEnforcedSecurityFeatures } from '@booking/router/dist/liveSupergraph';
import { routerCallSigner } from '@booking/runtime';
import { Teardown, type BenchOperation, type WorkloadOptions, type WorkloadSetup } from '../harness';
import { NOVEL_MARKER } from '../operations';
import { startReplayProxyProcess } from '../processes';
import { startBenchSubgraphs, SUBGRAPHS } from '../benchSubgraphs';
import { launchRouters, ROOT } from '../routersUnderTest';
import { explainWorkloadA } from './explain';
import { seedWorkloadA, type SeedSize } from './seed';


export const SEED_SIZE: SeedSize = { guests: 200, hosts: 50, listings: 2_000, bookings: 20_000 };

export const LOOKUP = `query ListingLookup($id: ID!) {
  listing(id: $id) { id title city capacity pricePerNight { amount currency } }
}`;

export const BOOKINGS_20 = `query TwentyBookings {
  bookings(first: 20) {
    edges {
      node {
        id status startsAt endsAt
        listing { id title city }
        guest { id displayName }
        invoice { id status amount { amount currency } }
      }
    }
  }
}`;

/**
 * BOOKINGS_20 with each booking's invoice (billing, the plan's last fetch) deferred: the first
 * part goes out once bookings, listings and guests are there, the invoices in a second part.
 */
export const BOOKINGS_20_DEFERRED = `query TwentyBookingsInvoicesDeferred {
  bookings(first: 20) {
    edges {
      node {
        id status startsAt endsAt
        listing { id title city }
        guest { id displayName }
        ... @defer(label: "invoice") { invoice { id status amount { amount currency } } }
      }
    }
  }
}`;

/** What a client that reads incremental delivery sends (Apollo Client's Accept). */
const DEFER_ACCEPT = 'multipart/mixed;deferSpec=20220824,application/json';

export const LISTINGS_WIDE = `query ListingsWithBookings {
  listings(first: 50) {
    edges { node { id title bookingsConnection(first: 100) { edges { node { id status guest { id displayName } } } } } }
  }
}`;

export const CREATE_BOOKING = `mutation CreateBooking($input: CreateBookingInput!) {
  createBooking(input: $input) { id status }
}`;

/**
 * A never-seen operation per request: its name is new each time, so no router has parsed or
 * planned its text before. The subgraph requests it leads to differ only in their operation
 * names, which the replay proxy ignores, so this measures the router's planning, not PostgreSQL.
 */
export const NOVEL = `query Novel_${NOVEL_MARKER} {
  bookings(first: 5) { edges { node { id status listing { title } guest { displayName } } } }
}`;

interface TokenClaims {
  sub: string;
  role?: string;
  scope?: string;
}

function claimsOf(token: string): TokenClaims {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as TokenClaims;
}

/** Points every subgraph of the committed supergraph at the proxy; the routers all read this file. */
function benchSupergraph(proxyUrl: string): string {
  const committed = readFileSync(resolve(ROOT, 'schema', 'supergraph.graphql'), 'utf8');
  const pointed = committed.replace(/@join__graph\(name: "([^"]+)", url: "[^"]*"\)/g, (_match, name: string) => `@join__graph(name: "${name}", url: "${proxyUrl}/${name}")`);
  // The peers cannot enforce @authenticated / @requiresScopes and refuse `for: SECURITY` links
  // they do not know; ours enforces them from the directives either way.
  return delegateEnforcedSecurityFeatures(pointed);
}

export async function setUpWorkloadA(options: WorkloadOptions): Promise<WorkloadSetup> {
  const teardown = new Teardown();
  const log = (line: string) => process.stdout.write(`  ${line}\n`);
  try {
    const { ports, databases, redisUrl, keyPrefix, secret, graphqlUrl: subgraphUrl } = await startBenchSubgraphs(teardown, {
      serviceCore: options.serviceCore,
      seedDemo: true,
      env: { ACCESS_TOKEN_TTL_SECONDS: '14400' },
    });
    const seededAt = Date.now();
    const seeded = await seedWorkloadA(databases, SEED_SIZE);
    log(`seeded ${SEED_SIZE.listings} listings and ${seeded.bookingCount} bookings in ${((Date.now() - seededAt) / 1000).toFixed(1)} s`);
    const explainPath = resolve(ROOT, 'bench', 'results', 'explain-A.md');
    writeFileSync(explainPath, await explainWorkloadA(databases, seeded));
    log(`query plans of the workload's statements: ${explainPath}`);

    // Sign in first to learn who the bench viewer is; the proxy signs the peers' requests as them.
    const loginBody = JSON.stringify({
      query: 'mutation($input: LoginInput!) { login(input: $input) { accessToken } }',
      variables: { input: { email: seeded.adminEmail, password: seeded.adminPassword } },
    });
    const login = await fetch(subgraphUrl('accounts'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...routerCallSigner(secret, null).request('accounts', loginBody) },
      body: loginBody,
    });
    const token = ((await login.json()) as { data?: { login?: { accessToken?: string } } }).data?.login?.accessToken;
    if (!token) throw new Error('the bench admin could not sign in');
    const claims = claimsOf(token);
    const proxy = await startReplayProxyProcess(options.serviceCore, {
      mode: options.mode,
      targets: Object.fromEntries(SUBGRAPHS.map((name) => [name, subgraphUrl(name)])),
      signingSecret: secret,
      viewer: { userId: claims.sub, role: claims.role ?? '', scopes: (claims.scope ?? '').split(' ').filter(Boolean) },
    });
    teardown.add(() => proxy.process.stop());
    const proxyUrl = proxy.url;

    mkdirSync(options.workDir, { recursive: true });
    const supergraphPath = resolve(options.workDir, 'booking-supergraph.graphql');
    writeFileSync(supergraphPath, benchSupergraph(proxyUrl));
    const { routers, notStarted } = await launchRouters({
      supergraphPath,
      core: options.routerCore,
      serviceCore: options.serviceCore,
      cpuProfileDir: options.cpuProfileDir,
      redisUrl,
      // The subgraphs' key prefix, as in a deployment: ours-cached hears their invalidations.
      oursEnv: {
        ROUTER_SIGNING_SECRET: secret,
        JWKS_URL: `http://127.0.0.1:${ports.accounts}/.well-known/jwks.json`,
        EVENT_KEY_PREFIX: keyPrefix,
        // listings50 asks for 50 listings × 100 bookings each: estimated at 15,151, over the
        // default limit of 10,000, which refuses it as production should. The bench measures
        // executing it; the cost stage still estimates every operation.
        MAX_OPERATION_COST: '100000',
      },
    });
    teardown.add(async () => {
      await Promise.all(routers.map((router) => router.stop()));
    });

    const headers = { authorization: `Bearer ${token}` };
    const fixed = (query: string, variables?: Record<string, unknown>) => ({ kind: 'fixed' as const, json: JSON.stringify({ query, variables }) });
    const operations: BenchOperation[] = [
      { id: 'lookup', title: 'one-subgraph lookup: a listing by id (catalog only)', body: fixed(LOOKUP, { id: seeded.listingIds[7] }), headers, floor: true },
      {
        id: 'lookup-latency',
        title: 'the same lookup one request at a time: latency the router adds over the subgraph (floor)',
        body: fixed(LOOKUP, { id: seeded.listingIds[7] }),
        headers,
        floor: true,
        sequential: true,
      },
      { id: 'bookings20', title: '20 bookings with listing, guest and invoice (four subgraphs)', body: fixed(BOOKINGS_20), headers, floor: false },
      {
        id: 'deferred',
        title: 'the 20 bookings with their invoices under @defer (multipart, deferSpec=20220824); measured only when named in BENCH_OPERATIONS',
        body: fixed(BOOKINGS_20_DEFERRED),
        // Checked against the reference router's plain answer to the same selection.
        referenceJson: fixed(BOOKINGS_20).json,
        headers: { ...headers, accept: DEFER_ACCEPT },
        floor: false,
        optIn: true,
      },
      {
        id: 'listings50',
        title: '50 listings → their bookings → each guest (catalog → bookings → accounts)',
        body: fixed(LISTINGS_WIDE),
        headers,
        floor: false,
      },
      {
        id: 'createBooking',
        title: 'createBooking on a distinct free slot per request (always live: mutations are never replayed)',
        body: { kind: 'createBooking', query: CREATE_BOOKING, listingIds: seeded.listingIds, slotBase: 0 },
        headers,
        floor: false,
      },
      {
        id: 'novel',
        title: 'a never-seen operation text per request (parse, validation and planning cost)',
        body: { kind: 'novel', queryTemplate: NOVEL, runId: randomBytes(3).toString('hex') },
        headers,
        floor: false,
      },
    ];
    return {
      id: 'A',
      title: 'Workload A: booking-supergraph (accounts, catalog, bookings, billing on PostgreSQL)',
      proxyUrl,
      routers,
      notStarted,
      operations,
      facts: {
        data: `${SEED_SIZE.guests} guests, ${SEED_SIZE.hosts} hosts, ${SEED_SIZE.listings} listings, ${seeded.bookingCount} bookings with invoices`,
        viewer: `admin (${seeded.adminEmail}); peers reach the subgraphs as the same viewer, signed by the proxy`,
        mode: options.mode,
      },
      stop: () => teardown.run(),
    };
  } catch (error) {
    await teardown.run();
    throw error;
  }
}
