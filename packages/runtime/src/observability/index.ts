export * from './spans';
export { startTracing, shutdownTracing, tracingOn } from './tracing';
export { tracingSettings, type TracingSettings } from './tracingSettings';
