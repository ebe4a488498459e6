/**
 * One read per event, however many subscriptions it fans out to in this process: the first
 * subscriber's load is shared by the rest for a short while, then forgotten.
 */
export class EventScopedCache<T> {
  private readonly entries = new Map<string, { value: Promise<T>; expires: number }>();

  constructor(private readonly ttlMs = 2_000) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.expires > now) return hit.value;
    if (this.entries.size > 10_000) this.prune(now);
    const value = load();
    this.entries.set(key, { value, expires: now + this.ttlMs });
    // A failed load is not shared: the next subscriber tries again.
    value.catch(() => this.entries.delete(key));
    return value;
  }

  private prune(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expires <= now) this.entries.delete(key);
  }
}
