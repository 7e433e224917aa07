// Jest runs in native ESM mode (node --experimental-vm-modules): @noble v2 is ESM-only, and
// @swc/jest strips the TypeScript without converting modules to CommonJS.
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }];
// globalSetup bundles the daemons the tests start, once per run (tests/support/global-setup.mjs);
// jest runs a global setup module once however many projects name it.
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  testEnvironment: 'node',
  globalSetup: '<rootDir>/tests/support/global-setup.mjs',
};
// Four tiers (README "Tests", docs/benchmarks.md "Test suite time"):
//  - `unit`: the pure code's tests, tests/protocols, tests/policies and tests/architecture: no I/O,
//    no timers, no processes (protocols/ and policies/ are pure, architecture/purity.test.ts says
//    so), so a unit test's outcome does not depend on how fast the machine runs it;
//  - `integration`: everything else outside tests/e2e, in one process per file: the services over
//    real SQLite, sockets, worker threads and child processes, with their round deadlines,
//    heartbeats and timers;
//  - `e2e`: real gateway and party processes (tests/e2e);
//  - `slow`: every `*.slow.test.ts` (kill matrices, load, soaks), run by `npm run test:slow` after
//    `npm test` in CI (.ci/run), and by none of the other three.
// `npm test` (scripts/test.mjs) runs integration, then e2e, with unit and the static checks beside
// them at the lowest CPU priority: what makes unit the one tier that can run there is that nothing
// in it waits on a clock (tests/architecture/unit-tier.test.ts). Workers: `npm run test:unit` and `test:integration` pass --maxWorkers=100%
// (one per core: both are CPU-bound, and jest's default, cores − 1, left one of two cores to its
// own idle process); `npm run test:e2e` and `npm run test:slow` run one file at a time
// (--maxWorkers=1), since each e2e file starts four processes with a 2 s round deadline.
const slow = '\\.slow\\.test\\.ts$';
const pure = ['<rootDir>/tests/protocols/**/*.test.ts', '<rootDir>/tests/policies/**/*.test.ts', '<rootDir>/tests/architecture/**/*.test.ts'];
export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: pure, testPathIgnorePatterns: [slow] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/tests/**/*.test.ts'],
      testPathIgnorePatterns: ['/tests/e2e/', '/tests/protocols/', '/tests/policies/', '/tests/architecture/', slow],
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/tests/e2e/**/*.test.ts'], testPathIgnorePatterns: [slow] },
    { ...common, displayName: 'slow', testMatch: ['<rootDir>/tests/**/*.slow.test.ts'] },
  ],
};
