import pino from 'pino';

/** The most log text a process holds while its stdout is not read, unless LOG_BUFFER_BYTES says otherwise. */
export const DEFAULT_LOG_BUFFER_BYTES = 8 * 1024 * 1024;

/**
 * A process's stdout for its log lines, written asynchronously and holding at most `maxBytes`
 * of lines not yet written. Why a bound: when whatever reads stdout stops reading (a launcher
 * whose own output is not drained, a stalled log shipper, a full pipe), an unbounded writer
 * keeps every line in the heap, and a busy router fills it with request lines until it dies,
 * even after the load has stopped. Past the bound a line is dropped and counted; once stdout
 * has caught up, a line says how many were dropped and between which times
 * (`log_lines_dropped_total` counts them too), so a gap in the logs is never silent.
 */
export interface DroppedLines {
  readonly droppedLines: number;
  /** When the first and the last of them were dropped (ISO 8601): where the gap is. */
  readonly droppedFrom: string;
  readonly droppedUntil: string;
}

export class LogOutput {
  /** Lines dropped since the process started. */
  private droppedTotal = 0;
  /** Dropped since the last notice, and when the first and last of them were. */
  private unreported = 0;
  private firstDroppedAt = 0;
  private lastDroppedAt = 0;
  private notice: ((dropped: DroppedLines) => void) | undefined;
  readonly stream: ReturnType<typeof pino.destination>;

  constructor(readonly maxBytes: number = DEFAULT_LOG_BUFFER_BYTES, fd = 1) {
    // pino's own destination (a closed stdout, EPIPE, silences it; what is buffered is flushed at exit).
    this.stream = pino.destination({ dest: fd, sync: false, maxLength: maxBytes });
    this.stream.on('drop', () => {
      const now = Date.now();
      if (this.unreported === 0) this.firstDroppedAt = now;
      this.lastDroppedAt = now;
      this.droppedTotal += 1;
      this.unreported += 1;
    });
    // 'drain': everything buffered was written, so stdout is read again.
    this.stream.on('drain', () => {
      if (this.unreported === 0 || !this.notice) return;
      const dropped = { droppedLines: this.unreported, droppedFrom: new Date(this.firstDroppedAt).toISOString(), droppedUntil: new Date(this.lastDroppedAt).toISOString() };
      this.unreported = 0;
      this.notice(dropped);
    });
  }

  /** How the gap is announced once stdout has caught up (the service's logger, at warn). */
  onDropsReported(notice: (dropped: DroppedLines) => void): void {
    this.notice = notice;
  }

  /**
   * Resolves once the lines written so far have reached stdout, or after `timeoutMs` if stdout
   * is not read: call it after a process's last line and before `process.exit`, which would
   * otherwise cut the write in flight (pino's exit flush then writes what follows it first).
   */
  drained(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.stream.once('drain', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  get dropped(): number {
    return this.droppedTotal;
  }
}

/** LOG_BUFFER_BYTES, when set to a positive whole number; the default otherwise. */
export function logBufferBytes(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const raw = env.LOG_BUFFER_BYTES?.trim();
  if (!raw) return DEFAULT_LOG_BUFFER_BYTES;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`LOG_BUFFER_BYTES must be a positive whole number of bytes, got "${raw}"`);
  return value;
}
