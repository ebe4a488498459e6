import type { EventStreams, PendingEntry, StreamEntry } from './eventStreams';

interface Group {
  /** Index of the next entry never delivered to this group. */
  next: number;
  pending: Map<string, { consumer: string; deliveredAt: number; deliveries: number }>;
}

interface Stream {
  entries: StreamEntry[];
  groups: Map<string, Group>;
}

/**
 * Redis Streams semantics (consumer groups, pending entries, claims, acks) in one process's
 * memory, shared by every subgraph of a single-process stack. Nothing survives a restart,
 * which is why it is only the last resort of `npm start`.
 */
export class InMemoryStreamStore {
  private readonly streams = new Map<string, Stream>();
  private readonly waiters = new Set<() => void>();
  private sequence = 0;

  stream(key: string): Stream {
    let stream = this.streams.get(key);
    if (!stream) {
      stream = { entries: [], groups: new Map() };
      this.streams.set(key, stream);
    }
    return stream;
  }

  /** What Redis' XINFO GROUPS tells of one group: entries never delivered to it, and unacknowledged ones. */
  groupState(key: string, groupName: string): { lag: number; pending: number } | null {
    const stream = this.stream(key);
    const group = stream.groups.get(groupName);
    return group ? { lag: stream.entries.length - group.next, pending: group.pending.size } : null;
  }

  append(key: string, entries: readonly string[][]): void {
    const stream = this.stream(key);
    for (const fields of entries) {
      this.sequence += 1;
      stream.entries.push([`${Date.now()}-${this.sequence}`, [...fields]]);
    }
    for (const wake of this.waiters) wake();
  }

  waitForAppend(ms: number, signal: { closed: boolean; wake?: () => void }): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal.wake = done;
    });
  }
}

export class InMemoryEventStreams implements EventStreams {
  private readonly signal: { closed: boolean; wake?: () => void } = { closed: false };

  constructor(private readonly store: InMemoryStreamStore) {}

  async append(key: string, entries: readonly string[][]): Promise<void> {
    this.store.append(key, entries);
  }

  async ensureGroup(key: string, group: string): Promise<void> {
    const stream = this.store.stream(key);
    if (!stream.groups.has(group)) stream.groups.set(group, { next: 0, pending: new Map() });
  }

  async readGroup(key: string, groupName: string, consumer: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    const stream = this.store.stream(key);
    const group = stream.groups.get(groupName);
    if (!group) throw new Error(`NOGROUP no consumer group ${groupName} for ${key}`);
    if (group.next >= stream.entries.length && !this.signal.closed) await this.store.waitForAppend(blockMs, this.signal);
    const delivered = stream.entries.slice(group.next, group.next + count);
    group.next += delivered.length;
    for (const [id] of delivered) group.pending.set(id, { consumer, deliveredAt: Date.now(), deliveries: 1 });
    return delivered;
  }

  async pending(key: string, groupName: string, minIdleMs: number, count: number): Promise<PendingEntry[]> {
    const group = this.store.stream(key).groups.get(groupName);
    if (!group) return [];
    const now = Date.now();
    return [...group.pending.entries()]
      .map(([id, entry]) => ({ id, idleMs: now - entry.deliveredAt, deliveries: entry.deliveries }))
      .filter((entry) => entry.idleMs >= minIdleMs)
      .slice(0, count);
  }

  async claim(key: string, groupName: string, consumer: string, minIdleMs: number, id: string): Promise<StreamEntry[]> {
    const stream = this.store.stream(key);
    const entry = stream.groups.get(groupName)?.pending.get(id);
    if (!entry || Date.now() - entry.deliveredAt < minIdleMs) return [];
    entry.consumer = consumer;
    entry.deliveredAt = Date.now();
    entry.deliveries += 1;
    const found = stream.entries.find(([entryId]) => entryId === id);
    return found ? [found] : [];
  }

  async ack(key: string, groupName: string, id: string): Promise<void> {
    this.store.stream(key).groups.get(groupName)?.pending.delete(id);
  }

  async close(): Promise<void> {
    this.signal.closed = true;
    this.signal.wake?.();
  }
}
