export * from './contracts';
export * from './eventsMigration';
export * from './outbox';
export * from './outboxRelay';
export * from './streamConsumer';
