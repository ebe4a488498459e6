import pino, { type Logger } from 'pino';
import { traceIdsMixin } from './observability/logMixin';
import { tracingOn } from './observability/tracing';

export type { Logger };

/**
 * One JSON line per event. With tracing on, each line written inside a sampled span carries
 * that span's `trace_id` and `span_id`; with it off there is no mixin to call at all.
 */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: service, level, base: { service }, ...(tracingOn() ? { mixin: traceIdsMixin } : {}) });
}
