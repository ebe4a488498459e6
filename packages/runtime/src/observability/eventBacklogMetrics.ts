import { Gauge } from 'prom-client';
import { deadLetterKey, streamKey, type StreamName } from '../events/contracts';
import type { EventTransport } from '../events/eventTransport';
import type { Database } from '../orm/database';
import type { ServiceMetrics } from './metrics';
import { readForScrape, SCRAPE_READ_TIMEOUT_MS, sharedPerScrape } from './scrapeReading';

export interface EventBacklogSources {
  readonly subgraph: string;
  readonly database: Database;
  readonly transport: EventTransport;
  readonly keyPrefix: string;
  /** Whether the subgraph writes events to its outbox (only then are outbox gauges exported). */
  readonly publishesEvents: boolean;
  /** The streams it consumes; its consumer group is named after the subgraph. */
  readonly consumes: readonly StreamName[];
}

interface OutboxBacklog {
  readonly unpublished: number;
  /** Null when nothing waits. */
  readonly oldestAgeSeconds: number | null;
}

/**
 * How far behind a subgraph's events are, read from PostgreSQL and Redis when Prometheus
 * scrapes (no poller between scrapes): rows its outbox has not yet published and the age of
 * the oldest (the relay is stuck or Redis is away), each consumed stream's lag (entries not yet
 * delivered to this subgraph's group) and pending count (delivered, not yet acknowledged:
 * handlers failing or slow), and each dead-letter stream's length (events given up on).
 */
export function registerEventBacklogMetrics(metrics: ServiceMetrics, sources: EventBacklogSources): void {
  const { subgraph } = sources;
  const registers = [metrics.registry];
  if (sources.publishesEvents) {
    const readOutbox = sharedPerScrape(() => readForScrape(() => outboxBacklog(sources.database), SCRAPE_READ_TIMEOUT_MS));
    new Gauge({
      name: 'outbox_unpublished_events',
      help: 'Committed outbox rows not yet published to their stream',
      labelNames: ['subgraph'],
      registers,
      async collect() {
        this.reset();
        const backlog = await readOutbox();
        if (backlog) this.set({ subgraph }, backlog.unpublished);
      },
    });
    new Gauge({
      name: 'outbox_oldest_unpublished_age_seconds',
      help: 'Age of the oldest committed outbox row not yet published (0 when none waits)',
      labelNames: ['subgraph'],
      registers,
      async collect() {
        this.reset();
        const backlog = await readOutbox();
        if (backlog) this.set({ subgraph }, backlog.oldestAgeSeconds ?? 0);
      },
    });
  }
  if (sources.consumes.length === 0) return;
  const readGroups = sharedPerScrape(() =>
    Promise.all(
      sources.consumes.map(async (stream) => ({
        stream,
        state: await readForScrape(() => sources.transport.groupState(streamKey(sources.keyPrefix, stream), subgraph), SCRAPE_READ_TIMEOUT_MS),
      })),
    ),
  );
  new Gauge({
    name: 'event_consumer_lag',
    help: "Stream entries not yet delivered to this subgraph's consumer group",
    labelNames: ['subgraph', 'stream', 'group'],
    registers,
    async collect() {
      this.reset();
      for (const { stream, state } of await readGroups()) {
        if (state && state.lag !== null) this.set({ subgraph, stream, group: subgraph }, state.lag);
      }
    },
  });
  new Gauge({
    name: 'event_consumer_pending',
    help: "Stream entries delivered to this subgraph's consumers and not yet acknowledged",
    labelNames: ['subgraph', 'stream', 'group'],
    registers,
    async collect() {
      this.reset();
      for (const { stream, state } of await readGroups()) {
        if (state) this.set({ subgraph, stream, group: subgraph }, state.pending);
      }
    },
  });
  new Gauge({
    name: 'event_dead_letters',
    help: "Events in this subgraph's dead-letter stream for a consumed stream (given up on after retries)",
    labelNames: ['subgraph', 'stream'],
    registers,
    async collect() {
      this.reset();
      const lengths = await Promise.all(
        sources.consumes.map(async (stream) => ({
          stream,
          length: await readForScrape(() => sources.transport.streamLength(deadLetterKey(sources.keyPrefix, stream, subgraph)), SCRAPE_READ_TIMEOUT_MS),
        })),
      );
      for (const { stream, length } of lengths) if (length !== undefined) this.set({ subgraph, stream }, length);
    },
  });
}

async function outboxBacklog(database: Database): Promise<OutboxBacklog> {
  // The partial index on unpublished rows makes this a scan of the backlog only.
  const [row] = await database.em
    .fork()
    .getConnection()
    .execute<{ unpublished: string | number; oldest_age_seconds: string | number | null }[]>(
      'select count(*) as unpublished, extract(epoch from now() - min(occurred_at)) as oldest_age_seconds from outbox_events where published_at is null',
    );
  return {
    unpublished: Number(row?.unpublished ?? 0),
    oldestAgeSeconds: row?.oldest_age_seconds === null || row?.oldest_age_seconds === undefined ? null : Math.max(0, Number(row.oldest_age_seconds)),
  };
}
