export * from './contracts';
export * from './eventsMigration';
export * from './eventStreams';
export * from './inMemoryEventStreams';
export * from './outbox';
export * from './outboxRelay';
export * from './streamConsumer';
export * from './eventTransport';
