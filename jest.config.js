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
// Workers: `npm run test:unit` passes --maxWorkers=100% (one per core: the unit tests are
// CPU-bound, and jest's default, cores − 1, left one of two cores to its own idle process);
// `npm run test:e2e` and `npm run test:slow` run one file at a time (--maxWorkers=1), since each
// e2e file starts four processes with a 2 s round deadline.
// Three tiers (README "Tests", docs/benchmarks.md "Test suite time"): `unit` (in-process) and `e2e`
// (real processes) are `npm test`; `slow` is every `*.slow.test.ts` (kill matrices, load, soaks),
// run by `npm run test:slow` after `npm test` in CI (.ci/run), and by neither of the other two.
const slow = '\\.slow\\.test\\.ts$';
export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/tests/**/*.test.ts'], testPathIgnorePatterns: ['/tests/e2e/', slow] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/tests/e2e/**/*.test.ts'], testPathIgnorePatterns: [slow] },
    { ...common, displayName: 'slow', testMatch: ['<rootDir>/tests/**/*.slow.test.ts'] },
  ],
};
