/**
 * Nonces of router signatures seen by this process, each kept until its signature's timestamp
 * is too old to be accepted anyway (then the timestamp check refuses a replay), so memory holds
 * only the last `maxAgeMs` of calls. It never holds more than `capacity`: past it, the oldest
 * nonce is forgotten and every signature sent at or before that nonce's time is refused from
 * then on, so forgetting never lets a replay through (at worst a call seconds old is refused).
 */
export class NonceMemory {
  /** nonce → the signature's timestamp; insertion order is roughly timestamp order. */
  private readonly seen = new Map<string, number>();
  /** Signatures sent at or before this time are refused: their nonces may have been forgotten. */
  private floor = -Infinity;

  constructor(
    private readonly maxAgeMs: number,
    private readonly capacity: number,
  ) {}

  get size(): number {
    return this.seen.size;
  }

  /** True the first time a nonce is offered; false for a repeat (or one older than the floor). */
  accept(nonce: string, sentAt: number, now: number): boolean {
    this.expire(now);
    if (sentAt <= this.floor || this.seen.has(nonce)) return false;
    if (this.seen.size >= this.capacity) {
      const [oldest, oldestSentAt] = this.seen.entries().next().value as [string, number];
      this.seen.delete(oldest);
      this.floor = Math.max(this.floor, oldestSentAt);
      if (sentAt <= this.floor) return false;
    }
    this.seen.set(nonce, sentAt);
    return true;
  }

  /** Drops from the front while entries are past the window; stops at the first one still inside. */
  private expire(now: number): void {
    for (const [nonce, sentAt] of this.seen) {
      if (now - sentAt <= this.maxAgeMs) return;
      this.seen.delete(nonce);
    }
  }
}
