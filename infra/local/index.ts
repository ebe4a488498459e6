export * from './childService';
export * from './databases';
export * from './embeddedPostgres';
export * from './ports';
export * from './redisServer';
export * from './heapInspector';
