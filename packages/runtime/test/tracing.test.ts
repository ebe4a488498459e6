import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { sqlShape } from '../src/observability/sqlText';
import { tracingSettings } from '../src/observability/tracingSettings';

const run = promisify(execFile);
const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/** The OpenTelemetry packages (name@version) a node process has loaded once `script` ran. */
async function openTelemetryLoadedBy(script: string, env: Record<string, string>): Promise<{ packages: string[]; tracerProvider: string; lines: Record<string, unknown>[] }> {
  const report = `
    const loaded = [...new Set(Object.keys(require.cache).flatMap((path) => {
      const match = /^(.*node_modules\\/@opentelemetry\\/[^/]+)\\//.exec(path);
      if (!match) return [];
      const manifest = require(match[1] + '/package.json');
      return [manifest.name + '@' + manifest.version];
    }))].sort();
    const { trace } = require('@opentelemetry/api');
    const provider = trace.getTracerProvider();
    const delegate = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider;
    setTimeout(() => { console.log(JSON.stringify({ packages: loaded, tracerProvider: delegate.constructor.name })); process.exit(0); }, 50);
  `;
  const { stdout } = await run(process.execPath, ['-e', script + report], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 });
  const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  const result = lines.pop() as { packages: string[]; tracerProvider: string };
  return { ...result, lines };
}

/**
 * A built service as its entry point starts it: its `tracing.ts` first, then everything it
 * pulls in (http, pg, ioredis, undici, the gateway); then one log line written inside a span.
 */
function serviceStart(service: 'router' | 'bookings'): string {
  const dist = service === 'router' ? resolve(REPO_ROOT, 'router', 'dist') : resolve(REPO_ROOT, 'subgraphs', service, 'dist', 'src');
  return `
    require(${JSON.stringify(`${dist}/tracing.js`)});
    require(${JSON.stringify(`${dist}/${service === 'router' ? 'router' : 'index'}.js`)});
    const runtime = require('@booking/runtime');
    const span = runtime.tracer.startSpan('probe');
    runtime.context.with(runtime.trace.setSpan(runtime.context.active(), span), () => runtime.createLogger('probe').info('inside a span'));
    span.end();
  `;
}

/** What a process that exports traces over OTLP/HTTP never loads (`@opentelemetry/sdk-node` loaded all of it). */
const UNUSED_SDK_PARTS = [
  '@opentelemetry/sdk-node',
  '@opentelemetry/sdk-logs',
  '@opentelemetry/exporter-trace-otlp-grpc',
  '@opentelemetry/exporter-logs-otlp-proto',
  '@opentelemetry/exporter-metrics-otlp-proto',
  '@opentelemetry/exporter-prometheus',
  '@opentelemetry/exporter-zipkin',
  '@opentelemetry/propagator-b3',
];

describe('with no OTEL_* variables', () => {
  test('a subgraph loads only the OpenTelemetry API (a no-op facade), registers no tracer, and logs no trace ids', async () => {
    const { packages, tracerProvider, lines } = await openTelemetryLoadedBy(serviceStart('bookings'), {});
    expect(packages).toEqual([expect.stringMatching(/^@opentelemetry\/api@1\.9\./)]);
    expect(tracerProvider).toBe('NoopTracerProvider');
    expect(lines.find((line) => line.msg === 'inside a span')).not.toHaveProperty('trace_id');
  });

  test('the router loads only the API: not even the OpenTelemetry 1.x pieces @apollo/gateway loads, since its module waits until the gateway is built', async () => {
    const router = await openTelemetryLoadedBy(serviceStart('router'), {});
    const gateway = await openTelemetryLoadedBy("require('@apollo/gateway');", {});
    // What the router would carry if it loaded the gateway's module at start (it did until 2026-12-05).
    expect(gateway.packages.filter((name) => !name.startsWith('@opentelemetry/api@'))).toContainEqual(expect.stringMatching(/^@opentelemetry\/sdk-metrics@/));
    expect(router.packages.filter((name) => !name.startsWith('@opentelemetry/api@'))).toEqual([]);
    expect(router.tracerProvider).toBe('NoopTracerProvider');
    expect(router.lines.find((line) => line.msg === 'inside a span')).not.toHaveProperty('trace_id');
  });
});

describe('with an OTLP endpoint', () => {
  test('the trace SDK starts with the HTTP, undici, pg and ioredis instrumentations and the OTLP exporter the protocol names, and a log line inside a span carries its ids', async () => {
    const { packages, tracerProvider, lines } = await openTelemetryLoadedBy(serviceStart('bookings'), {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_BSP_SCHEDULE_DELAY: '60000',
    });
    const names = packages.map((name) => name.replace(/@[^@]+$/, ''));
    expect(names).toEqual(
      expect.arrayContaining([
        '@opentelemetry/sdk-trace',
        '@opentelemetry/context-async-hooks',
        '@opentelemetry/exporter-trace-otlp-proto',
        '@opentelemetry/instrumentation-http',
        '@opentelemetry/instrumentation-undici',
        '@opentelemetry/instrumentation-pg',
        '@opentelemetry/instrumentation-ioredis',
      ]),
    );
    // Only what exporting traces needs: no metrics or logs SDK's exporters, no other protocol's.
    for (const unused of UNUSED_SDK_PARTS) expect(names).not.toContain(unused);
    expect(tracerProvider).toBe('TracerProvider');
    expect(lines.find((line) => line.msg === 'inside a span')).toMatchObject({
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
  });
});

describe('the router with an OTLP endpoint', () => {
  test('starts the SDK with no instrumentations and no context manager: nothing runs on requests it does not sample', async () => {
    const { packages, tracerProvider, lines } = await openTelemetryLoadedBy(serviceStart('router'), {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_BSP_SCHEDULE_DELAY: '60000',
    });
    const names = packages.map((name) => name.replace(/@[^@]+$/, ''));
    expect(names).toEqual(expect.arrayContaining(['@opentelemetry/sdk-trace', '@opentelemetry/exporter-trace-otlp-proto']));
    for (const unused of [...UNUSED_SDK_PARTS, '@opentelemetry/context-async-hooks']) expect(names).not.toContain(unused);
    // The SDK's provider, behind the wrapper that silences the gateway's own tracer (silenceTracers).
    expect(tracerProvider).not.toBe('NoopTracerProvider');
    for (const instrumentation of ['http', 'undici', 'pg', 'ioredis']) expect(names).not.toContain(`@opentelemetry/instrumentation-${instrumentation}`);
    // No AsyncLocalStorage: a span is never "active" on the router, so the logger's mixin finds
    // none (the request log record names its span itself: router/test/tracing.e2e.test.ts).
    expect(lines.find((line) => line.msg === 'inside a span')).not.toHaveProperty('trace_id');
  });
});

describe('tracingSettings', () => {
  test('on only when an exporter is configured, named after the service unless OTEL_SERVICE_NAME says otherwise', () => {
    expect(tracingSettings('bookings', {})).toMatchObject({ on: false });
    expect(tracingSettings('bookings', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({ on: true, serviceName: 'bookings' });
    expect(tracingSettings('bookings', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces', OTEL_SERVICE_NAME: 'bookings-eu' })).toEqual({
      on: true,
      serviceName: 'bookings-eu',
    });
    expect(tracingSettings('router', { OTEL_TRACES_EXPORTER: 'console' })).toMatchObject({ on: true });
    expect(tracingSettings('router', { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toMatchObject({ on: false });
    expect(tracingSettings('router', { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toMatchObject({ on: false });
  });
});

describe('sqlShape', () => {
  test('keeps the statement and its placeholders, drops every literal MikroORM inlines', () => {
    expect(sqlShape(`select "b0".* from "bookings" as "b0" where "b0"."guest_id" = 'a8b9-…' and "b0"."key" = 'it''s' limit 1`)).toBe(
      `select "b0".* from "bookings" as "b0" where "b0"."guest_id" = ? and "b0"."key" = ? limit ?`,
    );
    expect(sqlShape('insert into t1 (a, b) values ($1, $2) returning "id"')).toBe('insert into t1 (a, b) values ($1, $2) returning "id"');
    expect(sqlShape(`update t set amount = -12.5, note = E'x\\n', body = $$secret$$ where id = 42`)).toBe('update t set amount = ?, note = ?, body = ? where id = ?');
  });
});
