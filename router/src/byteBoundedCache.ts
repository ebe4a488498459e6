/**
 * A least-recently-used cache bounded by the bytes its entries retain, as estimated by the
 * caller when it stores them. Counting entries is no bound when clients choose the entries
 * (one cached operation can be a 1 MB document); counting bytes is.
 */
/** What a named cache holds, for the router_operation_cache_bytes gauge. */
export type OperationCacheName = 'gate_verdict' | 'prepared_operation' | 'document' | 'apq' | 'subscription_plan';

/**
 * Every named cache alive. Weakly: a cache a schema reload replaced goes with its last user, and
 * its entry here is dropped at the next reading.
 */
const named = new Set<WeakRef<ByteBoundedCache<unknown>>>();

/** Estimated bytes the live caches hold, by name (what on-call and the soak test read). */
export function operationCacheBytes(): Map<OperationCacheName, number> {
  const totals = new Map<OperationCacheName, number>();
  for (const reference of named) {
    const cache = reference.deref();
    if (!cache?.name) {
      named.delete(reference);
      continue;
    }
    totals.set(cache.name, (totals.get(cache.name) ?? 0) + cache.bytes);
  }
  return totals;
}

export class ByteBoundedCache<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private accounted = 0;

  constructor(
    readonly maxBytes: number,
    /** Named caches are counted in router_operation_cache_bytes. */
    readonly name?: OperationCacheName,
  ) {
    if (name) named.add(new WeakRef(this as ByteBoundedCache<unknown>));
  }

  /** Estimated bytes retained by the entries held now. */
  get bytes(): number {
    return this.accounted;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Most recently used last: eviction takes from the front.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Stores `value` as retaining `bytes` (its key included), evicting the least recently used as needed. */
  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    const size = bytes + key.length * 2;
    // Larger than the whole budget: the caller still has it, but it is not kept.
    if (size > this.maxBytes) return;
    this.entries.set(key, { value, bytes: size });
    this.accounted += size;
    this.evict();
  }

  /** An entry that grew after it was stored (e.g. a plan added to it) is counted anew. */
  resize(key: string, bytes: number): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    const size = bytes + key.length * 2;
    this.accounted += size - entry.bytes;
    entry.bytes = size;
    if (size > this.maxBytes) this.delete(key);
    else this.evict();
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.accounted -= entry.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.accounted = 0;
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.accounted <= this.maxBytes) return;
      this.entries.delete(key);
      this.accounted -= entry.bytes;
    }
  }
}
