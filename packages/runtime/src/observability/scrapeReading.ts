/**
 * Values read from elsewhere (PostgreSQL, Redis) when Prometheus scrapes, never by a background
 * poller: nothing runs between scrapes. A read that takes longer than `timeoutMs` or fails
 * yields undefined, and the gauges it feeds are left without a sample for that scrape (a stale
 * or made-up value would be worse than a gap, which alerts can see with `absent()`).
 */
export async function readForScrape<T>(read: () => Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([read().catch(() => undefined), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One read shared by every gauge it feeds within a scrape: prom-client collects all metrics of a
 * scrape at once, so two gauges asking while the read is under way get the same promise.
 */
export function sharedPerScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      const current = read();
      pending = current;
      const clear = () => {
        if (pending === current) pending = undefined;
      };
      current.then(clear, clear);
    }
    return pending;
  };
}

/** How long one scrape-time read may take (Prometheus' default scrape timeout is 10 s). */
export const SCRAPE_READ_TIMEOUT_MS = 1_000;
