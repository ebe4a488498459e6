import { context, propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import { propagatorFromEnv, resourceFromEnv, samplerFromEnv, spanProcessorsFromEnv, tracerProviderFromEnv } from '../src/observability/tracerProviderFromEnv';

/** The warnings one call made. */
function collecting(): { warn: (message: string) => void; warnings: string[] } {
  const warnings: string[] = [];
  return { warn: (message) => warnings.push(message), warnings };
}

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const TRACEPARENT = `00-${TRACE_ID}-b7ad6b7169203331-01`;

describe('samplerFromEnv', () => {
  test('names the specification\'s samplers; the ratio comes from OTEL_TRACES_SAMPLER_ARG', () => {
    const { warn, warnings } = collecting();
    expect(samplerFromEnv({}, warn)).toBeUndefined();
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'always_off' }, warn)?.toString()).toBe('AlwaysOffSampler');
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }, warn)?.toString()).toBe('TraceIdRatioBased{0.25}');
    const parentBased = samplerFromEnv({ OTEL_TRACES_SAMPLER: ' ParentBased_TraceIdRatio ', OTEL_TRACES_SAMPLER_ARG: '0.01' }, warn);
    expect(parentBased).toBeInstanceOf(ParentBasedSampler);
    expect(parentBased?.toString()).toContain('root=TraceIdRatioBased{0.01}');
    expect(warnings).toEqual([]);
  });

  test('a ratio out of range or a sampler it does not know is said, and the default used', () => {
    const { warn, warnings } = collecting();
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }, warn)).toEqual(new TraceIdRatioBasedSampler(1));
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'xray' }, warn)).toBeUndefined();
    expect(warnings).toEqual([
      'OTEL_TRACES_SAMPLER_ARG=1.5 is not a ratio in [0, 1]; sampling every trace',
      'OTEL_TRACES_SAMPLER=xray is not a sampler this SDK knows; using parentbased_always_on',
    ]);
  });
});

describe('spanProcessorsFromEnv', () => {
  test('one processor per named exporter: OTLP batched (by default), the console one span at a time', () => {
    const { warn, warnings } = collecting();
    expect(spanProcessorsFromEnv({}, warn).map((processor) => processor.constructor.name)).toEqual(['BatchSpanProcessor']);
    expect(spanProcessorsFromEnv({ OTEL_TRACES_EXPORTER: 'otlp,console,otlp' }, warn).map((processor) => processor.constructor.name)).toEqual(['BatchSpanProcessor', 'SimpleSpanProcessor']);
    expect(spanProcessorsFromEnv({ OTEL_TRACES_EXPORTER: 'jaeger' }, warn)).toEqual([]);
    expect(spanProcessorsFromEnv({ OTEL_TRACES_EXPORTER: 'none' }, warn)).toEqual([]);
    spanProcessorsFromEnv({ OTEL_BSP_MAX_QUEUE_SIZE: '-3', OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' }, warn);
    expect(warnings).toEqual([
      'OTEL_TRACES_EXPORTER names jaeger, an exporter this SDK does not have; it is left out',
      'OTEL_EXPORTER_OTLP_PROTOCOL=thrift is not an OTLP protocol; using http/protobuf',
      'OTEL_BSP_MAX_QUEUE_SIZE=-3 is not a positive number; using the default',
    ]);
  });

  test('the exporter speaks the protocol OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL names', async () => {
    const { warn } = collecting();
    // The exporters are distinct classes of distinct packages; each is required only when named.
    const json = spanProcessorsFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, warn)[0];
    const grpc = spanProcessorsFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }, warn)[0];
    const exporterModule = (processor: unknown): string | undefined => {
      const exporter = (processor as { _exporter: object })._exporter;
      return Object.keys(require.cache).find((path) => require.cache[path]?.exports?.OTLPTraceExporter === exporter.constructor);
    };
    expect(exporterModule(json)).toMatch(/exporter-trace-otlp-http/);
    expect(exporterModule(grpc)).toMatch(/exporter-trace-otlp-grpc/);
    await Promise.all([json?.shutdown(), grpc?.shutdown()]);
  });
});

describe('propagatorFromEnv', () => {
  test('W3C trace context and baggage by default; b3 when named; none reads and writes nothing', () => {
    const { warn, warnings } = collecting();
    const extracted = propagatorFromEnv({}, warn)?.extract(ROOT_CONTEXT, { traceparent: TRACEPARENT }, { get: (carrier, key) => carrier[key], keys: Object.keys });
    expect(trace.getSpanContext(extracted ?? ROOT_CONTEXT)).toMatchObject({ traceId: TRACE_ID, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    expect(propagatorFromEnv({}, warn)?.fields()).toEqual(['traceparent', 'tracestate', 'baggage']);
    expect(propagatorFromEnv({ OTEL_PROPAGATORS: 'b3multi,tracecontext' }, warn)?.fields()).toEqual(expect.arrayContaining(['x-b3-traceid', 'traceparent']));
    expect(propagatorFromEnv({ OTEL_PROPAGATORS: 'tracecontext,none' }, warn)).toBeUndefined();
    expect(propagatorFromEnv({ OTEL_PROPAGATORS: 'tracecontext,xray' }, warn)?.fields()).toEqual(['traceparent', 'tracestate']);
    expect(warnings).toEqual(['OTEL_PROPAGATORS names xray, a propagator this SDK does not have; it is left out']);
  });
});

describe('tracerProviderFromEnv', () => {
  test('the service name wins over OTEL_RESOURCE_ATTRIBUTES, whose other attributes are kept', () => {
    const { warn, warnings } = collecting();
    const resource = resourceFromEnv('bookings', { OTEL_NODE_RESOURCE_DETECTORS: 'env' }, warn);
    expect(resource.attributes['service.name']).toBe('bookings');
    expect(resourceFromEnv('bookings', { OTEL_NODE_RESOURCE_DETECTORS: 'none,gpu' }, warn).attributes).toEqual({ 'service.name': 'bookings' });
    expect(warnings).toEqual([]);
  });

  test('a provider whose tracer samples as the environment says', async () => {
    const { warn } = collecting();
    const provider = tracerProviderFromEnv('router', { OTEL_TRACES_SAMPLER: 'always_off', OTEL_TRACES_EXPORTER: 'console' }, warn);
    const span = provider.getTracer('test').startSpan('probe', {}, context.active());
    expect(span.isRecording()).toBe(false);
    const sampled = tracerProviderFromEnv('router', { OTEL_TRACES_SAMPLER: 'parentbased_always_off', OTEL_TRACES_EXPORTER: 'none' }, warn);
    const child = sampled.getTracer('test').startSpan('child', {}, propagation.extract(ROOT_CONTEXT, {}));
    expect(child.isRecording()).toBe(false);
    await Promise.all([provider.shutdown(), sampled.shutdown()]);
  });
});
