/**
 * What the router takes from the runtime, and nothing more. The package's index also carries
 * the subgraphs' stack (MikroORM and knex, type-graphql, class-validator, the outbox and live
 * updates): imported through the index, all of it was loaded into the router, which uses none
 * of it, and held about 20 MB of heap there for nothing (README "Router performance", RSS).
 * The router imports `@booking/runtime/dist/router`; every name keeps its one definition in
 * its own module, so a value here is the very one the index exports.
 */
export * from './auth/routerSignature';
export * from './auth/sessionRevocations';
export * from './auth/viewer';
export * from './config/env';
export * from './config/subgraphConfig';
export * from './errors/domainErrors';
export * from './events/entityInvalidation';
export * from './graphql/customScalars';
export * from './http/concurrencyCap';
export * from './http/graphqlHttpServer';
export * from './http/mediaType';
export * from './lifecycle';
export * from './live/boundedIterator';
export * from './logger';
export * from './logOutput';
export * from './observability/boundedLabel';
export * from './observability/boundSeries';
export * from './observability/logMixin';
export * from './observability/metrics';
export * from './observability/metricsListener';
export * from './observability/spans';
export * from './observability/subgraphRequestMetrics';
export * from './observability/subscriptionTrace';
export * from './observability/tracing';
export * from './redis/closeRedis';
export * from './shutdown/shutdownConfig';
export * from './shutdown/shutdownDrain';
