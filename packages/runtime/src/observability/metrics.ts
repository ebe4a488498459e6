import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import type { LogOutput } from '../logOutput';
import type { Route } from '../http/graphqlHttpServer';

/**
 * One service's metrics: its own prom-client Registry (never the global one: a test stack runs
 * the router and four subgraphs in one process, and each must expose only its own series), with
 * prom-client's default process metrics (CPU, memory, event loop lag, GC, handles). Metrics are
 * always on: recording is a few map lookups and additions per request; the text is built only
 * when Prometheus scrapes.
 */
export class ServiceMetrics {
  readonly registry = new Registry();

  constructor(readonly service: string) {
    collectDefaultMetrics({ register: this.registry });
    // prom-client names three gauges `_total`, which promtool (rightly) reports: a `_total`
    // suffix promises a counter. They go: `nodejs_active_resources{type}` (and the
    // handle and request gauges by type) say the same per type.
    for (const name of MISNAMED_DEFAULT_GAUGES) this.registry.removeSingleMetric(name);
  }

  /** `log_lines_dropped_total`: lines the service's log output dropped while its stdout was not read (see LogOutput). */
  countDroppedLogLines(output: LogOutput): void {
    new Counter({
      name: 'log_lines_dropped_total',
      help: 'Log lines dropped because stdout was not read while LOG_BUFFER_BYTES of lines waited',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(output.dropped);
      },
    });
  }

  /** `GET /metrics`: the Prometheus text exposition format, with its content type. */
  readonly route: Route = async (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      response.end('Method not allowed: scrape /metrics with GET\n');
      return;
    }
    const text = await this.registry.metrics();
    response.writeHead(200, { 'content-type': this.registry.contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : text);
  };
}

const MISNAMED_DEFAULT_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** Where every service serves its metrics (the Prometheus default path). */
export const METRICS_PATH = '/metrics';
