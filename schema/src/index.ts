export * from './composition';
export * from './subgraphSchemas';
export * from './supergraphConfig';
