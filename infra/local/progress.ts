/** How often a long step says it is still going, so `npm start` never looks stuck. */
export const PROGRESS_TICK_MS = 10_000;

/** Seconds since `since`, to one decimal, as progress lines give times. */
export function secondsSince(since: number): string {
  return ((Date.now() - since) / 1000).toFixed(1);
}

/**
 * Runs one step of the start, saying what it is doing (`doing…`), every PROGRESS_TICK_MS that
 * it is still at it, and how long it took (`done`, given the result).
 */
export async function step<T>(log: (line: string) => void, doing: string, work: () => Promise<T>, done: (result: T, seconds: string) => string): Promise<T> {
  const startedAt = Date.now();
  log(`${doing}…`);
  const ticker = setInterval(() => log(`still ${doing} (${secondsSince(startedAt)} s)…`), PROGRESS_TICK_MS);
  try {
    const result = await work();
    log(done(result, secondsSince(startedAt)));
    return result;
  } finally {
    clearInterval(ticker);
  }
}

/**
 * Waits for several things at once (services becoming ready), saying which are still pending
 * every PROGRESS_TICK_MS and when each is done; rejects with the first failure.
 */
export async function untilAll(
  log: (line: string) => void,
  waits: readonly { readonly name: string; readonly ready: () => Promise<void> }[],
  deadlineMs: number,
): Promise<void> {
  const startedAt = Date.now();
  const pending = new Set(waits.map((wait) => wait.name));
  const ticker = setInterval(
    () => log(`still waiting for ${[...pending].join(', ')} (${secondsSince(startedAt)} s; at most ${Math.round(deadlineMs / 1000)} s)…`),
    PROGRESS_TICK_MS,
  );
  try {
    await Promise.all(
      waits.map(async (wait) => {
        await wait.ready();
        pending.delete(wait.name);
        log(`${wait.name} ready in ${secondsSince(startedAt)} s`);
      }),
    );
  } finally {
    clearInterval(ticker);
  }
}
