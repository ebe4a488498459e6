import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

/**
 * The heap of another Node process, read through its inspector (started with
 * `NODE_OPTIONS=--inspect=127.0.0.1:<port>`): a full GC on demand, the heap used after it,
 * and heap snapshots counted by constructor. Nothing in the service itself exposes memory.
 */
export interface HeapInspector {
  /** A full (major, compacting) GC, then the heap in use, in bytes. */
  heapUsedAfterGc(): Promise<number>;
  /** The heap in use now (garbage included), in bytes: sampling without disturbing the process. */
  heapUsed(): Promise<number>;
  /** Live objects after a full GC, counted per constructor (closures as `closure <name>`). */
  objectCounts(): Promise<Map<string, { count: number; bytes: number }>>;
  close(): void;
}

/** Resident set size of a process (VmRSS), in bytes; 0 once it is gone. */
export function residentBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export async function inspectHeap(inspectPort: number, timeoutMs = 15_000): Promise<HeapInspector> {
  const deadline = Date.now() + timeoutMs;
  let target: string | undefined;
  while (!target) {
    try {
      const targets = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
      target = targets[0]?.webSocketDebuggerUrl;
    } catch {
      // the inspector is not listening yet
    }
    if (!target) {
      if (Date.now() > deadline) throw new Error(`no inspector on port ${inspectPort}`);
      await new Promise((wait) => setTimeout(wait, 100));
    }
  }
  const socket = new WebSocket(target, { maxPayload: 1 << 30 });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map<number, { resolve(result: unknown): void; reject(error: Error): void }>();
  let chunks: string[] = [];
  socket.on('message', (raw: Buffer) => {
    const message = JSON.parse(raw.toString()) as { id?: number; method?: string; params?: { chunk?: string }; result?: unknown; error?: { message: string } };
    if (message.method === 'HeapProfiler.addHeapSnapshotChunk') chunks.push(message.params?.chunk ?? '');
    if (message.id === undefined) return;
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) waiter?.reject(new Error(message.error.message));
    else waiter?.resolve(message.result);
  });
  // A process that exits (or is restarted) answers nothing more: its calls fail, never hang.
  socket.once('close', () => {
    for (const waiter of pending.values()) waiter.reject(new Error('the inspected process is gone'));
    pending.clear();
  });
  const call = <Result>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<Result>((resolve, reject) => {
      if (socket.readyState !== WebSocket.OPEN) return reject(new Error('the inspected process is gone'));
      const id = nextId++;
      pending.set(id, { resolve: (result) => resolve(result as Result), reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  const heapUsed = async () => {
    const evaluated = await call<{ result: { value: number } }>('Runtime.evaluate', { expression: 'process.memoryUsage().heapUsed', returnByValue: true });
    return evaluated.result.value;
  };
  return {
    heapUsed,
    async heapUsedAfterGc() {
      // Twice: what the first frees (weak references, finalizers) the second collects.
      await call('HeapProfiler.collectGarbage');
      await call('HeapProfiler.collectGarbage');
      return heapUsed();
    },
    async objectCounts() {
      chunks = [];
      await call('HeapProfiler.collectGarbage');
      await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      return countByConstructor(chunks.join(''));
    },
    close: () => socket.close(),
  };
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

function countByConstructor(text: string): Map<string, { count: number; bytes: number }> {
  const snapshot = JSON.parse(text) as Snapshot;
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const counts = new Map<string, { count: number; bytes: number }>();
  for (let node = 0; node < snapshot.nodes.length; node += width) {
    const type = types[snapshot.nodes[node + typeAt]!];
    if (type !== 'object' && type !== 'closure' && type !== 'array' && type !== 'string') continue;
    const name = type === 'string' ? '(string)' : type === 'closure' ? `closure ${snapshot.strings[snapshot.nodes[node + nameAt]!]}` : snapshot.strings[snapshot.nodes[node + nameAt]!]!;
    const entry = counts.get(name) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += snapshot.nodes[node + sizeAt]!;
    counts.set(name, entry);
  }
  return counts;
}

/** What grew between two counts, biggest growth in bytes first. */
export function heapGrowth(
  before: Map<string, { count: number; bytes: number }>,
  after: Map<string, { count: number; bytes: number }>,
  top = 25,
): { name: string; count: number; bytes: number }[] {
  return [...after]
    .map(([name, entry]) => ({ name, count: entry.count - (before.get(name)?.count ?? 0), bytes: entry.bytes - (before.get(name)?.bytes ?? 0) }))
    .filter((entry) => entry.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top);
}
