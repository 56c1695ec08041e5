// Three tiers (STYLE.md §13): unit specs beside the code, int-specs against the real Kafka, Redis
// and SMTP started once per run by the global setup, and e2e flows across real processes.
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.json');

// The int and e2e tiers start the real Kafka broker and Redis once per run (the second project's
// setup finds them running); a unit-only run starts nothing.
const infra = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

const base = {
  testEnvironment: 'node',
  rootDir: __dirname,
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Type-checking is `npm run typecheck`; here each file is only transpiled, which keeps runs fast.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json', diagnostics: false }] },
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
};

module.exports = {
  maxWorkers: 2,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,scripts}/**/*.spec.ts'] },
    { ...base, ...infra, displayName: 'int', testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts'], testPathIgnorePatterns: ['/node_modules/', ...(process.env.EVENTSTORE_CONNECTION_STRING ? [] : ['\\.esdb\\.int-spec\\.ts$'])], slowTestThreshold: 30 },
    { ...base, ...infra, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'], slowTestThreshold: 60, setupFilesAfterEnv: ['<rootDir>/test/support/e2e-timeout.ts'] },
  ],
};
