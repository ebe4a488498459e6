/** One jest run for the whole monorepo; TypeScript is compiled by swc (with decorator metadata). */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.data/'],
  transform: { '^.+\\.ts$': swc },
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
