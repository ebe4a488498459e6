import { createServer } from 'node:http';
import { listenAt } from '../http/graphqlHttpServer';
import { METRICS_PATH, type ServiceMetrics } from './metrics';

/** Prometheus' endpoint on a port of its own. */
export interface MetricsListener {
  /** `http://host:port/metrics`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `METRICS_PORT`: `/metrics` on a listener of its own instead of the service's port, so the
 * port that faces clients (the router's is on the internet) does not serve operation names,
 * error codes and process internals, and a Kubernetes Service or ingress need not filter paths
 * (Apollo Router does the same: its Prometheus endpoint listens apart, on 9090). Only
 * `GET`/`HEAD /metrics` are answered; anything else is a 404.
 */
export function listenForScrapes(metrics: ServiceMetrics, port: number, host: string): Promise<MetricsListener> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path === METRICS_PATH) return void metrics.route(request, response);
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(`Not found: this port serves ${METRICS_PATH} only\n`);
  });
  return listenAt(server, port, host).then((origin) => ({
    url: `${origin}${METRICS_PATH}`,
    close: () =>
      new Promise<void>((closed) => {
        server.close(() => closed());
        // A scrape's keep-alive connection would hold close() open until it times out.
        server.closeIdleConnections();
      }),
  }));
}
