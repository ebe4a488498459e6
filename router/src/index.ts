export * from './config';
export * from './router';
