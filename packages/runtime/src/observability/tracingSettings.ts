/**
 * Whether this process exports traces, read only from the standard OpenTelemetry variables
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/): an OTLP
 * endpoint, or an explicit OTEL_TRACES_EXPORTER. Nothing configured means no SDK at all.
 */
export type TracingSettings = { readonly on: false; readonly reason: string } | { readonly on: true; readonly serviceName: string };

type Env = Readonly<Record<string, string | undefined>>;

function listOf(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item.length > 0);
}

export function tracingSettings(service: string, env: Env = process.env): TracingSettings {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return { on: false, reason: 'OTEL_SDK_DISABLED=true' };
  const exporters = listOf(env.OTEL_TRACES_EXPORTER);
  if (exporters.includes('none')) return { on: false, reason: 'OTEL_TRACES_EXPORTER=none' };
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  // The SDK's own default endpoint (localhost:4318) is not a configuration: without an endpoint
  // or a named exporter nobody asked for traces.
  if (!endpoint && exporters.length === 0) return { on: false, reason: 'no OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER' };
  return { on: true, serviceName: env.OTEL_SERVICE_NAME?.trim() || service };
}
