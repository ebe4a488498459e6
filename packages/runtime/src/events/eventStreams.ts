import { Redis } from 'ioredis';
import { closeRedis } from '../redis/closeRedis';

/** One stream entry: its id and its fields as a flat [name, value, ...] list. */
export type StreamEntry = [id: string, fields: string[]];

export interface PendingEntry {
  readonly id: string;
  readonly idleMs: number;
  readonly deliveries: number;
}

/**
 * The slice of Redis Streams the event plumbing uses. Redis is the real transport; the
 * in-memory one serves a single-process stack when no Redis is to be had.
 */
export interface EventStreams {
  /** Appends all entries or none. */
  append(key: string, entries: readonly string[][]): Promise<void>;
  ensureGroup(key: string, group: string): Promise<void>;
  /** New entries for this consumer, waiting up to `blockMs` for some to arrive. */
  readGroup(key: string, group: string, consumer: string, count: number, blockMs: number): Promise<StreamEntry[]>;
  pending(key: string, group: string, minIdleMs: number, count: number): Promise<PendingEntry[]>;
  claim(key: string, group: string, consumer: string, minIdleMs: number, id: string): Promise<StreamEntry[]>;
  ack(key: string, group: string, id: string): Promise<void>;
  /** Ends blocking reads at once and releases the connection; resolves once it is released. Idempotent. */
  close(): Promise<void>;
}

export class RedisEventStreams implements EventStreams {
  /** How to end each command still waiting, should `close()` come first. */
  private readonly waiting = new Set<(error: Error) => void>();
  private closing: Error | null = null;

  constructor(private readonly redis: Redis) {}

  /**
   * Every command settles once `close()` is called. ioredis' `disconnect()` while it waits to
   * reconnect (Redis down) cancels the reconnect but leaves the queued commands pending forever,
   * so a consumer's read would never end and its subgraph could not shut down during an outage.
   * Each command registers its own way out and removes it when it settles: racing every command
   * against one shared never-settling promise instead kept a reaction per command on that
   * promise for the life of the process (issue 17: the consumers' idle polling alone grew the
   * heap without end).
   */
  private command<T>(pending: Promise<T>): Promise<T> {
    if (this.closing) {
      pending.catch(() => undefined);
      return Promise.reject(this.closing);
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting.add(reject);
      pending.then(
        (value) => {
          this.waiting.delete(reject);
          resolve(value);
        },
        (error: unknown) => {
          this.waiting.delete(reject);
          reject(error);
        },
      );
    });
  }

  static connect(url: string): RedisEventStreams {
    const redis = new Redis(url, { maxRetriesPerRequest: 2 });
    redis.on('error', () => undefined); // it reconnects by itself; the loops log the outage once
    return new RedisEventStreams(redis);
  }

  async append(key: string, entries: readonly string[][]): Promise<void> {
    const pipeline = this.redis.multi();
    for (const fields of entries) pipeline.xadd(key, '*', ...fields);
    const results = await this.command(pipeline.exec());
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw failed?.[0] ?? new Error('Redis did not run the XADD batch');
  }

  async ensureGroup(key: string, group: string): Promise<void> {
    try {
      // From the beginning: events published before the group existed are consumed too.
      await this.command(this.redis.xgroup('CREATE', key, group, '0', 'MKSTREAM'));
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
    }
  }

  async readGroup(key: string, group: string, consumer: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    const response = (await this.command(this.redis.xreadgroup('GROUP', group, consumer, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', key, '>'))) as
      | [string, StreamEntry[]][]
      | null;
    return (response ?? []).flatMap(([, entries]) => entries);
  }

  async pending(key: string, group: string, minIdleMs: number, count: number): Promise<PendingEntry[]> {
    const rows = (await this.command(this.redis.xpending(key, group, 'IDLE', minIdleMs, '-', '+', count))) as [string, string, number, number][];
    return rows.map(([id, , idleMs, deliveries]) => ({ id, idleMs, deliveries }));
  }

  async claim(key: string, group: string, consumer: string, minIdleMs: number, id: string): Promise<StreamEntry[]> {
    return ((await this.command(this.redis.xclaim(key, group, consumer, minIdleMs, id))) as StreamEntry[]).filter(([, fields]) => fields);
  }

  async ack(key: string, group: string, id: string): Promise<void> {
    await this.command(this.redis.xack(key, group, id));
  }

  close(): Promise<void> {
    this.closing ??= new Error('event streams closed');
    for (const reject of this.waiting) reject(this.closing);
    this.waiting.clear();
    return closeRedis(this.redis);
  }
}
