// Jest runs in native ESM mode (node --experimental-vm-modules): @noble v2 is ESM-only, and
// @swc/jest strips the TypeScript without converting modules to CommonJS.
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }];
const common = { extensionsToTreatAsEsm: ['.ts'], transform: { '^.+\\.ts$': swc }, testEnvironment: 'node' };
// Workers: `npm run test:unit` passes --maxWorkers=100% (one per core: the unit tests are
// CPU-bound, and jest's default, cores − 1, left one of two cores to its own idle process);
// `npm run test:e2e` keeps the default, since each e2e file starts four processes with a 2 s
// round deadline.
export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/tests/**/*.test.ts'], testPathIgnorePatterns: ['/tests/e2e/'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/tests/e2e/**/*.test.ts'] },
  ],
};
