export * from './boundedLabel';
export * from './databasePoolMetrics';
export * from './eventBacklogMetrics';
export * from './metrics';
export * from './scrapeReading';
export * from './subgraphRequestMetrics';
export * from './spans';
export { startTracing, shutdownTracing, tracingOn } from './tracing';
export { tracingSettings, type TracingSettings } from './tracingSettings';
