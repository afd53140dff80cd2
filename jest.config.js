// Tests are compiled by `tsc -b` with the rest of the code (one compiler, decorator
// metadata included) and jest runs the emitted JavaScript.
//   *.test.ts      unit (no I/O)
//   *.int.test.ts  integration (real Postgres / Kafka)
//   *.e2e.test.ts  end to end (real processes or servers)
const common = {
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/.cache/'],
  testPathIgnorePatterns: ['/node_modules/', '/src/'],
};
// Quality gate: line coverage of each workspace's domain and persistence code (the compiled
// JavaScript the tests run, instrumented by jest). The report (coverage/) is kept by CI.
const COVERED = ['subgraphs/assets', 'subgraphs/orders', 'subgraphs/payments', 'subgraphs/tariffs', 'subgraphs/tenants'];
const LAYERS = ['domain', 'persistence'];
module.exports = {
  // integration and e2e suites start real brokers, databases and processes
  testTimeout: 120_000,
  collectCoverageFrom: [
    ...COVERED.map((w) => `<rootDir>/${w}/dist/src/{${LAYERS.join(',')}}/**/*.js`),
    '<rootDir>/protocol-bridge/dist/src/persistence/**/*.js',
  ],
  coverageDirectory: '<rootDir>/coverage',
  coverageReporters: ['text-summary', 'json-summary', 'lcov'],
  coverageThreshold: Object.fromEntries(
    // keyed by the TypeScript sources the source maps lead back to
    [...COVERED.flatMap((w) => LAYERS.map((l) => `./${w}/src/${l}/`)), './protocol-bridge/src/persistence/'].map((p) => [p, { lines: 80 }]),
  ),
  reporters: ['default', '<rootDir>/ops/jest/summary-reporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/dist/test/**/*.test.js'],
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, '\\.int\\.test\\.js$', '\\.e2e\\.test\\.js$'],
    },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/**/dist/test/**/*.int.test.js'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/**/dist/test/**/*.e2e.test.js'] },
  ],
};
