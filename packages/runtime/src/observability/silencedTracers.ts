import { ProxyTracerProvider, trace, type TracerProvider } from '@opentelemetry/api';

/**
 * Makes the tracers of the named libraries no-ops, leaving every other tracer to the SDK's
 * provider. For a process without a context manager (the router): a library that relies on the
 * active context to nest its spans (`@apollo/gateway`'s `gateway.request` → `gateway.plan` →
 * `gateway.fetch`…) would otherwise start a separate trace for each span it opens.
 */
export function silenceTracers(names: ReadonlySet<string>): void {
  const global = trace.getTracerProvider();
  if (!(global instanceof ProxyTracerProvider)) return;
  const sdkProvider = global.getDelegate();
  // A proxy provider that is never given a delegate hands out the API's no-op tracer.
  const silent: TracerProvider = new ProxyTracerProvider();
  global.setDelegate({
    getTracer: (name, version, options) => (names.has(name) ? silent : sdkProvider).getTracer(name, version, options),
  });
}
