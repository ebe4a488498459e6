import type { TextMapPropagator } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { Sampler, SpanExporter, SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

/* eslint-disable @typescript-eslint/no-require-imports */
// Every module below is required where it is used, not imported: a process loads the exporter,
// the propagators and the resource detectors its environment names, and nothing else.
// `@opentelemetry/sdk-node` loaded all of them (every trace, metric and log exporter, gRPC
// included) and the metrics and logs SDKs: 14 MB of heap and 0.9 s of start-up that a process
// exporting only traces never uses.

type Env = Readonly<Record<string, string | undefined>>;

/** Something wrong in the environment: the SDK goes on with the default and says so once. */
export type TracingWarning = (message: string) => void;

/** A comma-separated OTEL_* list, trimmed and lower-cased (empty and unset are the same, per the spec). */
export function envList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item.length > 0);
}

function positiveNumber(env: Env, name: string, warn: TracingWarning): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (Number.isFinite(value) && value > 0) return value;
  warn(`${name}=${raw} is not a positive number; using the default`);
  return undefined;
}

/**
 * OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, as the SDK environment specification names
 * them; undefined keeps the SDK's default, `parentbased_always_on`.
 */
export function samplerFromEnv(env: Env, warn: TracingWarning): Sampler | undefined {
  const name = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase();
  if (!name) return undefined;
  const sdk = require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  const ratio = (): number => {
    const raw = env.OTEL_TRACES_SAMPLER_ARG?.trim();
    const value = raw ? Number(raw) : Number.NaN;
    if (Number.isFinite(value) && value >= 0 && value <= 1) return value;
    warn(`OTEL_TRACES_SAMPLER_ARG=${raw ?? ''} is not a ratio in [0, 1]; sampling every trace`);
    return 1;
  };
  switch (name) {
    case 'always_on':
      return new sdk.AlwaysOnSampler();
    case 'always_off':
      return new sdk.AlwaysOffSampler();
    case 'traceidratio':
      return new sdk.TraceIdRatioBasedSampler(ratio());
    case 'parentbased_always_on':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(ratio()) });
    default:
      warn(`OTEL_TRACES_SAMPLER=${name} is not a sampler this SDK knows; using parentbased_always_on`);
      return undefined;
  }
}

/** The OTLP exporter for OTEL_EXPORTER_OTLP_TRACES_PROTOCOL / OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf by default). */
function otlpExporter(env: Env, warn: TracingWarning): SpanExporter {
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?.trim() || env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim() || 'http/protobuf').toLowerCase();
  // Each exporter reads its endpoint, headers, compression and timeout from OTEL_EXPORTER_OTLP_*.
  if (protocol === 'http/json') return new (require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  if (protocol === 'grpc') return new (require('@opentelemetry/exporter-trace-otlp-grpc') as typeof import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter();
  if (protocol !== 'http/protobuf') warn(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not an OTLP protocol; using http/protobuf`);
  return new (require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
}

/**
 * One span processor per exporter OTEL_TRACES_EXPORTER names (`otlp` when it names none):
 * a batch processor with the OTEL_BSP_* settings, or a simple one for `console` (a line per span,
 * as it ends, is what a console is for).
 */
export function spanProcessorsFromEnv(env: Env, warn: TracingWarning): SpanProcessor[] {
  const sdk = require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  const named = [...new Set(envList(env.OTEL_TRACES_EXPORTER))];
  // `none` alone exports nothing (tracingSettings does not even start the SDK then).
  const names = named.length === 0 ? ['otlp'] : named.filter((name) => name !== 'none');
  const processors: SpanProcessor[] = [];
  for (const name of names) {
    if (name === 'console') {
      processors.push(new sdk.SimpleSpanProcessor({ exporter: new sdk.ConsoleSpanExporter() }));
      continue;
    }
    let exporter: SpanExporter;
    if (name === 'otlp') exporter = otlpExporter(env, warn);
    else if (name === 'zipkin') exporter = new (require('@opentelemetry/exporter-zipkin') as typeof import('@opentelemetry/exporter-zipkin')).ZipkinExporter();
    else {
      warn(`OTEL_TRACES_EXPORTER names ${name}, an exporter this SDK does not have; it is left out`);
      continue;
    }
    processors.push(
      new sdk.BatchSpanProcessor({
        exporter,
        maxQueueSize: positiveNumber(env, 'OTEL_BSP_MAX_QUEUE_SIZE', warn),
        maxExportBatchSize: positiveNumber(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', warn),
        scheduledDelayMillis: positiveNumber(env, 'OTEL_BSP_SCHEDULE_DELAY', warn),
        exportTimeoutMillis: positiveNumber(env, 'OTEL_BSP_EXPORT_TIMEOUT', warn),
      }),
    );
  }
  return processors;
}

/**
 * OTEL_PROPAGATORS: `tracecontext` and `baggage` when unset (the specification's default), the
 * ones it names otherwise (`b3`, `b3multi`, `jaeger` too); undefined for `none`, which leaves the
 * API's no-op propagator: nothing is read from or written to headers.
 */
export function propagatorFromEnv(env: Env, warn: TracingWarning): TextMapPropagator | undefined {
  const core = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const names = [...new Set(envList(env.OTEL_PROPAGATORS))];
  if (names.includes('none')) return undefined;
  const propagators: TextMapPropagator[] = [];
  for (const name of names.length > 0 ? names : ['tracecontext', 'baggage']) {
    if (name === 'tracecontext') propagators.push(new core.W3CTraceContextPropagator());
    else if (name === 'baggage') propagators.push(new core.W3CBaggagePropagator());
    else if (name === 'b3' || name === 'b3multi') {
      const b3 = require('@opentelemetry/propagator-b3') as typeof import('@opentelemetry/propagator-b3');
      propagators.push(new b3.B3Propagator(name === 'b3multi' ? { injectEncoding: b3.B3InjectEncoding.MULTI_HEADER } : {}));
    } else if (name === 'jaeger') propagators.push(new (require('@opentelemetry/propagator-jaeger') as typeof import('@opentelemetry/propagator-jaeger')).JaegerPropagator());
    else warn(`OTEL_PROPAGATORS names ${name}, a propagator this SDK does not have; it is left out`);
  }
  return new core.CompositePropagator({ propagators });
}

/**
 * The process's resource: its service name over what OTEL_RESOURCE_ATTRIBUTES and the host and
 * process say (OTEL_NODE_RESOURCE_DETECTORS picks among env, host, os, process and
 * serviceinstance; all by default, `none` for none).
 */
export function resourceFromEnv(serviceName: string, env: Env, warn: TracingWarning): Resource {
  const resources = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const known = new Map([
    ['env', resources.envDetector],
    ['host', resources.hostDetector],
    ['os', resources.osDetector],
    ['process', resources.processDetector],
    ['serviceinstance', resources.serviceInstanceIdDetector],
  ]);
  const named = envList(env.OTEL_NODE_RESOURCE_DETECTORS);
  const detectors = named.length === 0 || named.includes('all') ? [...known.values()] : named.includes('none') ? [] : named.flatMap((name) => {
    const detector = known.get(name);
    if (!detector) warn(`OTEL_NODE_RESOURCE_DETECTORS names ${name}, a detector this SDK does not have; it is left out`);
    return detector ? [detector] : [];
  });
  return resources.detectResources({ detectors }).merge(resources.resourceFromAttributes({ 'service.name': serviceName }));
}

/** The tracer provider the environment describes: its resource, sampler and span processors. */
export function tracerProviderFromEnv(serviceName: string, env: Env, warn: TracingWarning): TracerProvider {
  const sdk = require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  const limit = (name: string, fallback?: string): number | undefined => positiveNumber(env, name, warn) ?? (fallback ? positiveNumber(env, fallback, warn) : undefined);
  return new sdk.TracerProvider({
    resource: resourceFromEnv(serviceName, env, warn),
    sampler: samplerFromEnv(env, warn),
    spanLimits: {
      attributeCountLimit: limit('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT'),
      attributeValueLengthLimit: limit('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'),
      eventCountLimit: limit('OTEL_SPAN_EVENT_COUNT_LIMIT'),
      linkCountLimit: limit('OTEL_SPAN_LINK_COUNT_LIMIT'),
    },
    spanProcessors: spanProcessorsFromEnv(env, warn),
  });
}
/* eslint-enable @typescript-eslint/no-require-imports */
