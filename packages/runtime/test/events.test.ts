import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Entity, PrimaryKey } from '@mikro-orm/core';
import type { Redis } from 'ioredis';
import {
  closeRedis,
  createLogger,
  InMemoryEventStreams,
  InMemoryStreamStore,
  RedisEventStreams,
  type EventStreams,
  type StreamEntry,
  deadLetterKey,
  EVENT_MIGRATIONS,
  migrateToLatest,
  openDatabase,
  OutboxRelay,
  recordEvent,
  StreamConsumer,
  streamKey,
  type Database,
  type EventEnvelope,
  type EventHandler,
} from '@booking/runtime';
import { connectRedis, createTestDatabase, dropKeys, findFreePort, testKeyPrefix, type TestDatabase } from '@booking/testkit';
import { startRedisServer } from '../../../infra/local/redisServer';

@Entity({ tableName: 'probes' })
class Probe {
  @PrimaryKey({ type: 'uuid' })
  id!: string;
}

const logger = createLogger('events-test', process.env.TEST_LOG_LEVEL ?? 'silent');

async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const invoiceIssued = (n: number) => ({ invoiceId: `inv-${n}`, bookingId: `b-${n}`, guestId: 'g', total: { amount: n, currency: 'EUR' } });

interface Transport {
  /** A fresh connection (consumers need their own: they block). */
  connect(url?: string): EventStreams;
  entries(key: string): Promise<StreamEntry[]>;
  close(): Promise<void>;
}

function redisTransport(): Transport {
  const redis = connectRedis();
  return {
    connect: (url) => new RedisEventStreams(connectRedis(url)),
    entries: (key) => redis.xrange(key, '-', '+') as Promise<StreamEntry[]>,
    close: () => closeRedis(redis),
  };
}

function memoryTransport(): Transport {
  const store = new InMemoryStreamStore();
  return {
    connect: () => new InMemoryEventStreams(store),
    entries: async (key) => store.stream(key).entries,
    close: async () => undefined,
  };
}

describe.each([
  ['Redis Streams', redisTransport],
  ['in-process streams (same interface)', memoryTransport],
])('transactional outbox → %s → consumer groups with an inbox', (transportName, makeTransport) => {
  let testDatabase: TestDatabase;
  let database: Database;
  let redis: Redis;
  let transport: Transport;
  let prefix: string;
  const cleanups: (() => Promise<unknown>)[] = [];
  const count = async (key: string) => (await transport.entries(key)).length;

  beforeAll(async () => {
    testDatabase = await createTestDatabase('events');
    database = await openDatabase({ databaseUrl: testDatabase.url, entities: [Probe], migrations: EVENT_MIGRATIONS, logger });
    await migrateToLatest(database, testDatabase.url);
    redis = connectRedis();
    transport = makeTransport();
  });

  beforeEach(() => {
    prefix = testKeyPrefix('events');
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await dropKeys(redis, prefix);
    await database.em.fork().execute('truncate outbox_events, inbox_events');
  });

  afterAll(async () => {
    await transport?.close();
    if (redis) await closeRedis(redis);
    await database?.close(true);
    await testDatabase?.drop();
  });

  function relay(options: { redisUrl?: string } = {}): OutboxRelay {
    const streams = transport.connect(options.redisUrl);
    const started = new OutboxRelay({ database, streams, keyPrefix: prefix, logger, pollIntervalMs: 20 });
    started.start();
    cleanups.push(async () => {
      await started.stop();
      await streams.close();
    });
    return started;
  }

  function consumer(handler: EventHandler, options: { redisUrl?: string; maxAttempts?: number; name?: string } = {}): StreamConsumer {
    const started = new StreamConsumer({
      database,
      streams: transport.connect(options.redisUrl),
      keyPrefix: prefix,
      stream: 'billing',
      group: 'probe',
      consumer: options.name ?? 'probe-1',
      handler,
      logger,
      maxAttempts: options.maxAttempts ?? 5,
      retryBaseMs: 50,
      blockMs: 100,
    });
    cleanups.push(() => started.stop());
    return started;
  }

  async function record(n: number, rollback = false): Promise<void> {
    await database.em
      .fork()
      .transactional(async (tx) => {
        await recordEvent(tx, 'billing', 'invoice.issued', invoiceIssued(n));
        if (rollback) throw new Error('rolled back on purpose');
      })
      .catch((error: Error) => {
        if (!rollback) throw error;
      });
  }

  it('publishes committed events once, in order, and never a rolled-back one', async () => {
    await record(1);
    await record(2, true);
    await record(3);
    relay();
    const unpublishedCount = async () => {
      const [row] = await database.em.fork().execute<{ count: string }[]>('select count(*) from outbox_events where published_at is null');
      return Number(row?.count);
    };
    await waitFor(async () => (await unpublishedCount()) === 0);
    const entries = await transport.entries(streamKey(prefix, 'billing'));
    expect(entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('payload') + 1] as string).invoiceId)).toEqual(['inv-1', 'inv-3']);
    expect(await count(streamKey(prefix, 'billing'))).toBe(2);
  });

  it("carries a row's traceparent on its message, and publishes rows without one (tracing off, older rows) as before", async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await record(1);
    await database.em.fork().execute('update outbox_events set traceparent = ?', [traceparent]);
    await record(2);
    relay();
    await waitFor(async () => (await count(streamKey(prefix, 'billing'))) === 2);
    const entries = await transport.entries(streamKey(prefix, 'billing'));
    const fieldOf = (fields: string[], name: string) => (fields.includes(name) ? fields[fields.indexOf(name) + 1] : undefined);
    // No SDK runs in this process: the publish span does not record, and the row's own context travels on.
    expect(entries.map(([, fields]) => fieldOf(fields, 'traceparent'))).toEqual([traceparent, undefined]);
    const applied: string[] = [];
    await consumer(async (event) => {
      applied.push((event.payload as { invoiceId: string }).invoiceId);
    }).start();
    await waitFor(() => applied.length === 2);
    expect(applied).toEqual(['inv-1', 'inv-2']);
  });

  it('applies each event exactly once even when it is delivered twice', async () => {
    const applied: string[] = [];
    await consumer(async (event) => {
      applied.push((event.payload as { invoiceId: string }).invoiceId);
    }).start();
    await record(1);
    const relayed = relay();
    await waitFor(() => applied.length === 1);
    // A relay crash after XADD but before marking the row republishes the same event id.
    const [fields] = (await transport.entries(streamKey(prefix, 'billing'))).map(([, f]) => f);
    const duplicate = transport.connect();
    await duplicate.append(streamKey(prefix, 'billing'), [fields as string[]]);
    await duplicate.close();
    await record(2);
    relayed.notify();
    await waitFor(() => applied.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(applied).toEqual(['inv-1', 'inv-2']);
    const inspector = transport.connect();
    expect(await inspector.pending(streamKey(prefix, 'billing'), 'probe', 0, 100)).toEqual([]);
    await inspector.close();
  });

  it('retries a failing handler with backoff, then moves a poison event to the dead-letter stream without blocking the rest', async () => {
    const attempts = new Map<string, number>();
    const applied: string[] = [];
    await consumer(async (event) => {
      const id = (event.payload as { invoiceId: string }).invoiceId;
      attempts.set(id, (attempts.get(id) ?? 0) + 1);
      if (id === 'inv-1' && (attempts.get(id) ?? 0) < 3) throw new Error('transient failure');
      if (id === 'inv-2') throw new Error('poison: cannot be applied');
      applied.push(id);
    }, { maxAttempts: 4 }).start();
    for (const n of [1, 2, 3]) await record(n);
    relay();
    await waitFor(async () => (await count(deadLetterKey(prefix, 'billing', 'probe'))) === 1 && applied.length === 2).catch((error) => {
      throw new Error(`${error}: attempts ${JSON.stringify([...attempts])}, applied ${applied}`);
    });
    expect(applied.sort()).toEqual(['inv-1', 'inv-3']);
    expect(attempts.get('inv-1')).toBe(3);
    expect(attempts.get('inv-2')).toBe(4);
    const [[, dead]] = (await transport.entries(deadLetterKey(prefix, 'billing', 'probe'))) as [string, string[]][];
    const fields = Object.fromEntries(Array.from({ length: dead!.length / 2 }, (_, i) => [dead![2 * i], dead![2 * i + 1]]));
    expect(fields).toMatchObject({ type: 'invoice.issued', error: 'poison: cannot be applied', attempts: '4' });
  });

  it('catches up after a consumer was stopped, and shares work across a group', async () => {
    const applied: EventEnvelope[] = [];
    const first = consumer(async (event) => {
      applied.push(event);
    });
    await first.start();
    relay();
    await first.stop();
    for (let n = 1; n <= 20; n += 1) await record(n);
    await waitFor(async () => (await count(streamKey(prefix, 'billing'))) === 20);
    expect(applied).toHaveLength(0);
    await consumer(async (event) => void applied.push(event), { name: 'probe-2' }).start();
    await consumer(async (event) => void applied.push(event), { name: 'probe-3' }).start();
    await waitFor(() => applied.length === 20);
    expect(new Set(applied.map((event) => event.id)).size).toBe(20);
  });

  // Only a server process can be restarted; the in-process transport ends with its process.
  if (transportName === 'Redis Streams') it('loses nothing when Redis restarts mid-flow (append-only Redis, outbox catches up)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redis-restart-'));
    const port = await findFreePort();
    let server = await startRedisServer({ port, dir, appendOnly: true });
    cleanups.push(() => server.stop());
    const applied = new Set<string>();
    await consumer(async (event) => void applied.add((event.payload as { invoiceId: string }).invoiceId), { redisUrl: server.url }).start();
    relay({ redisUrl: server.url });
    for (let n = 1; n <= 10; n += 1) await record(n);
    await waitFor(() => applied.size >= 5);
    await server.stop();
    // Written while Redis is down: they wait in the outbox.
    for (let n = 11; n <= 20; n += 1) await record(n);
    server = await startRedisServer({ port, dir, appendOnly: true });
    await waitFor(() => applied.size === 20, 20_000);
    expect([...applied].sort()).toEqual(Array.from({ length: 20 }, (_, i) => `inv-${i + 1}`).sort());
  });
});
