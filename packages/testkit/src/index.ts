export * from './database';
export * from './graphqlClient';
export * from './ports';
export * from './sqlCounter';
export * from './stack';
export * from './federationContract';
export * from './sessions';
export * from './redis';
