import pino, { type Logger } from 'pino';
import { LogOutput, logBufferBytes } from './logOutput';
import { traceIdsMixin } from './observability/logMixin';
import { tracingOn } from './observability/tracing';

export type { Logger };

const outputs = new WeakMap<Logger, LogOutput>();

/**
 * One JSON line per event, on stdout through a bounded buffer (LOG_BUFFER_BYTES, see
 * LogOutput). With tracing on, each line written inside a sampled span carries that span's
 * `trace_id` and `span_id`; with it off there is no mixin to call at all.
 */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info', bufferBytes: number = logBufferBytes()): Logger {
  const output = new LogOutput(bufferBytes);
  const logger = pino({ name: service, level, base: { service }, ...(tracingOn() ? { mixin: traceIdsMixin } : {}) }, output.stream);
  output.onDropsReported((dropped) =>
    logger.warn({ ...dropped, logBufferBytes: output.maxBytes }, 'log lines were dropped: stdout was not read while more than LOG_BUFFER_BYTES of them waited'),
  );
  outputs.set(logger, output);
  return logger;
}

/** Where a logger made by createLogger writes (its dropped lines are a metric). */
export function logOutputOf(logger: Logger): LogOutput | undefined {
  return outputs.get(logger);
}
