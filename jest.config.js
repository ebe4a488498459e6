/**
 * One jest run for the whole monorepo. ts-jest transpiles each file on its own (type checking
 * is `npm run typecheck`), emitting decorator metadata as tsc does for the build.
 */
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }];

module.exports = {
  testEnvironment: '<rootDir>/packages/testkit/src/testEnvironment.js',
  testMatch: ['<rootDir>/**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.data/'],
  transform: { '^.+\\.ts$': tsJest },
  moduleNameMapper: {
    '^@booking/runtime$': '<rootDir>/packages/runtime/src',
    '^@booking/testkit$': '<rootDir>/packages/testkit/src',
    '^@booking/(accounts|catalog|bookings|billing)$': '<rootDir>/subgraphs/$1/src',
    '^@booking/router$': '<rootDir>/router/src',
    '^@booking/schema$': '<rootDir>/schema/src',
  },
  globalSetup: '<rootDir>/packages/testkit/src/globalSetup.ts',
  globalTeardown: '<rootDir>/packages/testkit/src/globalTeardown.ts',
  reporters: ['default', '<rootDir>/packages/testkit/src/plainSummaryReporter.js'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
