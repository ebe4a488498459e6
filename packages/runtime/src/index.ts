import 'reflect-metadata';

export * from './auth/routerSignature';
export * from './auth/viewer';
export * from './config/env';
export * from './config/subgraphConfig';
export * from './errors/domainErrors';
export * from './errors/formatError';
export * from './graphql/connection';
export * from './graphql/money';
export * from './http/graphqlHttpServer';
export * from './orm/database';
export * from './orm/loaders';
export * from './orm/postgresErrors';
export * from './schema/federatedSchema';
export * from './demoData';
export * from './lifecycle';
export * from './logger';
export * from './subgraphServer';
