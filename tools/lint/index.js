// Re-exports the lint toolchain for the repo's eslint.config.js. typescript-eslint resolves
// `typescript` from here (6.0.3, its supported range), not the repo's TypeScript 7.
export { default as js } from '@eslint/js';
export { default as tseslint } from 'typescript-eslint';
