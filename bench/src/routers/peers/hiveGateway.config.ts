/**
 * Hive Gateway as the benchmark runs it: one process, no usage reporting (no token given), and
 * both inbound and outbound request deduplication off, so every request does its own work.
 * Passed with `hive-gateway supergraph <file> -c <this file>`.
 */
export const gatewayConfig = {
  inboundInflightRequestDeduplication: false,
  transportEntries: {
    '*.http': { options: { deduplicateInflightRequests: false } },
  },
};
