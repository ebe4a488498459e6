import type { TracerProvider } from '@opentelemetry/sdk-trace';
import { RootContextManager } from './rootContextManager';
import { silenceTracers } from './silencedTracers';
import { sqlShape } from './sqlText';
import { propagatorFromEnv, tracerProviderFromEnv } from './tracerProviderFromEnv';
import { tracingSettings, type TracingSettings } from './tracingSettings';

/**
 * Starts OpenTelemetry tracing for this process when the standard OTEL_* variables ask for
 * traces (see tracingSettings), else loads nothing of the SDK. Every option the specification
 * reads from the environment (OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_TRACES_SAMPLER(_ARG),
 * OTEL_PROPAGATORS, OTEL_BSP_*, OTEL_RESOURCE_ATTRIBUTES...) keeps its standard meaning (see
 * tracerProviderFromEnv).
 *
 * It must run before `http`, `pg` and `ioredis` are first required, so the instrumentations
 * can hook them: each service's `main.ts` imports its `tracing.ts` first, and this module
 * requires nothing at load time.
 */
let provider: TracerProvider | undefined;
let settings: TracingSettings | undefined;

/** Paths that are not work (probes, scrapes): no span, so a trace backend is not flooded by them. */
const UNTRACED_PATHS = new Set(['/health', '/ready', '/metrics']);

/**
 * How a process's spans find their parent:
 * - `automatic` (the subgraphs): the http, undici, pg and ioredis instrumentations, and an
 *   AsyncLocalStorage context manager that carries the active span across every await;
 * - `explicit` (the router): neither. On Node 20 an AsyncLocalStorage installs async hooks that
 *   run on every promise and callback of the process, sampled or not, and the instrumentations
 *   wrap every request, response and socket: together they cost the router 40 % of its
 *   throughput at 1 % sampling. The router opens its request span itself and hands each span's
 *   parent to the next (see router/src/pipeline/requestSpan.ts).
 */
export type TracingMode = 'automatic' | 'explicit';

export function startTracing(service: string, env: Readonly<Record<string, string | undefined>> = process.env, mode: TracingMode = 'automatic'): TracingSettings {
  if (settings) return settings;
  settings = tracingSettings(service, env);
  if (!settings.on) return settings;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  // A setting the SDK cannot use is said once on stderr, not swallowed: the default it falls
  // back to (every trace sampled, say) may not be what was meant.
  const warn = (message: string): void => process.emitWarning(message, 'OpenTelemetryConfigurationWarning');
  const propagator = propagatorFromEnv(env, warn);
  if (propagator) api.propagation.setGlobalPropagator(propagator);
  api.context.setGlobalContextManager(mode === 'automatic' ? asyncContextManager() : new RootContextManager());
  provider = tracerProviderFromEnv(settings.serviceName, env, warn);
  api.trace.setGlobalTracerProvider(provider);
  if (mode === 'automatic') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
    registerInstrumentations({ instrumentations: automaticInstrumentations(), tracerProvider: provider });
  }
  // The gateway nests its spans through the active context, which `explicit` does not carry:
  // the router's own spans cover what goes through the gateway (its server span, and a
  // `subgraph` span per fetch, parented through the fetch's traceparent).
  if (mode === 'explicit') silenceTracers(new Set(['@apollo/gateway']));
  return settings;
}

/** The active span follows every await and callback (what the subgraphs' instrumentations need). */
function asyncContextManager() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks') as typeof import('@opentelemetry/context-async-hooks');
  return new AsyncLocalStorageContextManager().enable();
}

function automaticInstrumentations() {
  // Required here, not imported: with tracing off not one of these modules is loaded.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has(new URL(request.url ?? '/', 'http://localhost').pathname),
      // A call with no request around it (a JWKS refresh timer, say) is not a trace of its own.
      requireParentforOutgoingSpans: true,
    }),
    new UndiciInstrumentation({
      // A call that carries a traceparent was given its own client span by our code: a second,
      // anonymous HTTP span under it says nothing more.
      ignoreRequestHook: (request) => carriesTraceparent(request.headers),
      requireParentforSpans: true,
    }),
    // Background loops (the outbox relay's poll, the stream consumer's blocking read) run
    // outside any span: only statements of a traced request or event handler become spans.
    // Query text only, never values: bound ones are not reported (enhancedDatabaseReporting
    // stays off) and the literals MikroORM inlines into its SQL are replaced (see sqlShape).
    new PgInstrumentation({
      requireParentSpan: true,
      enhancedDatabaseReporting: false,
      requestHook: (span, { query }) => span.setAttribute('db.query.text', sqlShape(query.text)),
    }),
    new IORedisInstrumentation({ requireParentSpan: true }),
  ];
}

/** True once startTracing started the SDK in this process. */
export function tracingOn(): boolean {
  return provider !== undefined;
}

/** Exports the spans still buffered; called on shutdown, so the last requests' spans are not lost. */
export async function shutdownTracing(): Promise<void> {
  const started = provider;
  provider = undefined;
  await started?.shutdown();
}

function carriesTraceparent(headers: string | (string | string[])[]): boolean {
  if (typeof headers === 'string') return /(^|\r\n)traceparent:/i.test(headers);
  for (let index = 0; index < headers.length; index += 2) {
    const name = headers[index];
    if (typeof name === 'string' && name.toLowerCase() === 'traceparent') return true;
  }
  return false;
}
