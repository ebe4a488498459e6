import type { NodeSDK } from '@opentelemetry/sdk-node';
import { sqlShape } from './sqlText';
import { tracingSettings, type TracingSettings } from './tracingSettings';

/**
 * Starts the OpenTelemetry Node SDK for this process when the standard OTEL_* variables ask for
 * traces (see tracingSettings), else loads nothing of the SDK. Every option the SDK reads from
 * the environment (OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_TRACES_SAMPLER(_ARG), OTEL_PROPAGATORS,
 * OTEL_BSP_*, OTEL_RESOURCE_ATTRIBUTES...) keeps its standard meaning.
 *
 * It must run before `http`, `pg` and `ioredis` are first required, so the instrumentations
 * can hook them: each service's `main.ts` imports its `tracing.ts` first, and this module
 * requires nothing at load time.
 */
let sdk: NodeSDK | undefined;
let settings: TracingSettings | undefined;

/** Paths that are not work (probes, scrapes): no span, so a trace backend is not flooded by them. */
const UNTRACED_PATHS = new Set(['/health', '/ready', '/metrics']);

export function startTracing(service: string, env: Readonly<Record<string, string | undefined>> = process.env): TracingSettings {
  if (settings) return settings;
  settings = tracingSettings(service, env);
  if (!settings.on) return settings;
  // Required here, not imported: with tracing off not one of these modules is loaded.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeSDK: Sdk } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const instrumentations = [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has(new URL(request.url ?? '/', 'http://localhost').pathname),
      // A call with no request around it (a JWKS refresh timer, say) is not a trace of its own.
      requireParentforOutgoingSpans: true,
    }),
    new UndiciInstrumentation({
      // The router's subgraph calls carry their own client span (subgraph name, entity count)
      // and its traceparent: a second, anonymous HTTP span under it says nothing more.
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
  sdk = new Sdk({
    serviceName: settings.serviceName,
    instrumentations,
    // Metrics are prom-client's /metrics and logs are pino's stdout: the SDK exports traces only.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return settings;
}

/** True once startTracing started the SDK in this process. */
export function tracingOn(): boolean {
  return sdk !== undefined;
}

/** Exports the spans still buffered; called on shutdown, so the last requests' spans are not lost. */
export async function shutdownTracing(): Promise<void> {
  const started = sdk;
  sdk = undefined;
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
