/**
 * The Node.js options each service's process is started with, wherever it is started: the
 * Dockerfile's CMD, docker-compose, the Kubernetes manifests, `npm start`'s launcher, the test
 * harness and the benchmarks (infra/test/deployment.test.ts checks the manifests against this
 * list, so the router measured is the router deployed).
 *
 * The router gets a larger young generation. Each request makes short-lived garbage (parsed
 * subgraph responses, the shaped result, its JSON) of a few hundred kilobytes; with V8's default
 * 16 MB semi-space (x64) several requests' worth survives each scavenge only to be copied and
 * promoted, and the scavenges themselves ran at several per second under load. At 32 MB workload B
 * served about a quarter more requests per CPU second on this machine (bench/results, README
 * "Router performance"), for some tens of megabytes of resident memory. The subgraphs spend their
 * time in PostgreSQL and keep V8's default.
 */
export const ROUTER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/** `router`, or a subgraph's name: the options its `node` command line carries before the script. */
export function serviceNodeFlags(service: string): readonly string[] {
  return service === 'router' ? ROUTER_NODE_FLAGS : [];
}
