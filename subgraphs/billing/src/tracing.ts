import { startTracing } from '@booking/runtime/dist/observability/tracing';

// Imported first by main.ts: the SDK (when OTEL_* asks for it) must hook http, pg and ioredis
// before anything requires them. This path loads tracing.ts alone, not the runtime's index.
startTracing('billing');
