// Jest runs in native ESM mode (node --experimental-vm-modules): @noble v2 is ESM-only, and
// @swc/jest strips the TypeScript without converting modules to CommonJS.
const swc = ['@swc/jest', {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  module: { type: 'es6' },
}];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  testEnvironment: 'node',
};
export default {
  // One worker per core (jest's default leaves one core to its own process, which only waits):
  // the unit tests are CPU-bound, so a 2-core machine runs two files at a time. `npm run test:e2e`
  // passes --maxWorkers=1: each e2e file starts four processes with a 2 s round deadline.
  maxWorkers: '100%',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/tests/**/*.test.ts'], testPathIgnorePatterns: ['/tests/e2e/'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/tests/e2e/**/*.test.ts'] },
  ],
};
