export * from './shutdownConfig';
export * from './shutdownDrain';
