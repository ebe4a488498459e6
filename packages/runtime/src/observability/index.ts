export * from './boundedLabel';
export * from './databasePoolMetrics';
export * from './eventBacklogMetrics';
export * from './metrics';
export * from './scrapeReading';
export * from './subgraphRequestMetrics';
