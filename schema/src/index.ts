export * from './apiSchema';
export * from './composition';
export * from './subgraphSchemas';
export * from './supergraphConfig';
