import { startTracing } from '@booking/runtime/dist/observability/tracing';

// Imported first by main.ts, so the SDK (when OTEL_* asks for it) is there before any span is
// made. This path loads tracing.ts alone, not the runtime's index. `explicit`: no
// instrumentations and no context manager; the router opens its request spans itself and
// passes each span's parent on (see pipeline/requestSpan.ts).
startTracing('router', process.env, 'explicit');
