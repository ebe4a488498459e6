import { Redis } from 'ioredis';
import { closeRedis } from '../redis/closeRedis';
import { RedisEventStreams, type EventStreams } from './eventStreams';
import { InMemoryEventStreams, type InMemoryStreamStore } from './inMemoryEventStreams';

/**
 * Where one subgraph instance's events travel, and whether it can reach it right now. Each
 * loop (the outbox relay, every consumer) opens streams of its own: a blocking read holds its
 * connection, so it cannot be shared with anything else.
 */
export interface EventTransport {
  /** For logs and /ready: where events go, never with a password in it. */
  readonly description: string;
  openStreams(): EventStreams;
  /** Resolves to null while the transport answers, else to why it does not. */
  unreachable(): Promise<string | null>;
  /** For metrics, read when scraped: a consumer group's state on a stream (null: no such group). */
  groupState(key: string, group: string): Promise<ConsumerGroupState | null>;
  /** For metrics: how many entries a stream holds (0 when it does not exist). */
  streamLength(key: string): Promise<number>;
  close(): Promise<void>;
}

export interface ConsumerGroupState {
  /** Entries not yet delivered to the group; null when the transport cannot tell (Redis after a trim). */
  readonly lag: number | null;
  /** Entries delivered to the group's consumers and not yet acknowledged. */
  readonly pending: number;
}

/** How long one readiness PING may take before Redis counts as unreachable. */
const PROBE_TIMEOUT_MS = 1_000;

/**
 * Redis Streams. Readiness has a connection of its own that never queues commands while
 * disconnected: a PING then fails at once instead of waiting for a reconnect, so /ready
 * answers within its probe's timeout and says why.
 */
export function redisEventTransport(url: string): EventTransport {
  const description = describeRedis(url);
  let lastError: Error | undefined;
  const probe = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: PROBE_TIMEOUT_MS,
    connectTimeout: PROBE_TIMEOUT_MS * 2,
    // Keeps trying every 1 s at most, so a returning Redis is seen ready within about a second.
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  });
  probe.on('error', (error: Error) => {
    lastError = error;
  });
  probe.on('ready', () => {
    lastError = undefined;
  });
  return {
    description,
    openStreams: () => RedisEventStreams.connect(url),
    async unreachable() {
      if (probe.status !== 'ready') {
        return `${description} unreachable (connection ${probe.status}${lastError ? `: ${lastError.message}` : ''})`;
      }
      try {
        const answer = await probe.ping();
        return answer === 'PONG' ? null : `${description} answered PING with "${answer}"`;
      } catch (error) {
        return `${description} did not answer PING (${(error as Error).message})`;
      }
    },
    // On the probe connection: it never queues commands while Redis is away, so a scrape
    // during an outage fails at once instead of waiting for a reconnect.
    async groupState(key, group) {
      const groups = (await probe.xinfo('GROUPS', key).catch(noSuchKey([]))) as unknown[][];
      for (const fields of groups) {
        const info = new Map<string, unknown>();
        for (let index = 0; index + 1 < fields.length; index += 2) info.set(String(fields[index]), fields[index + 1]);
        if (String(info.get('name')) !== group) continue;
        const lag = info.get('lag');
        return { lag: typeof lag === 'number' ? lag : null, pending: Number(info.get('pending') ?? 0) };
      }
      return null;
    },
    streamLength: (key) => probe.xlen(key),
    close: () => closeRedis(probe),
  };
}

/** XINFO on a stream that does not exist yet is an error; for metrics it is simply empty. */
function noSuchKey<T>(empty: T): (error: Error) => T {
  return (error) => {
    if (/no such key/i.test(error.message)) return empty;
    throw error;
  };
}

/** One process only: every subgraph of an in-process stack shares `store`. Always reachable. */
export function inMemoryEventTransport(store: InMemoryStreamStore): EventTransport {
  return {
    description: 'in-memory streams (this process only)',
    openStreams: () => new InMemoryEventStreams(store),
    unreachable: async () => null,
    groupState: async (key, group) => store.groupState(key, group),
    streamLength: async (key) => store.stream(key).entries.length,
    close: async () => undefined,
  };
}

function describeRedis(url: string): string {
  const parsed = new URL(url);
  const tls = parsed.protocol === 'rediss:' ? ' (TLS)' : '';
  return `Redis${tls} at ${parsed.hostname}:${parsed.port || '6379'}`;
}
