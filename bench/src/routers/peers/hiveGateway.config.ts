/**
 * Hive Gateway as the benchmark runs it: one process, no usage reporting (no token given), and
 * both inbound and outbound request deduplication off, so every request does its own work;
 * `@defer` served only when BENCH_HIVE_DEFER_STREAM=1.
 * Passed with `hive-gateway supergraph <file> -c <this file>`.
 */
export const gatewayConfig = {
  inboundInflightRequestDeduplication: false,
  // Incremental delivery only when the run measures `@defer` (the `deferred` operation of
  // workload A): the plugin it adds is work on every request, which The Guild's benchmark leaves out.
  deferStream: process.env.BENCH_HIVE_DEFER_STREAM === '1',
  transportEntries: {
    '*.http': { options: { deduplicateInflightRequests: false } },
  },
};
