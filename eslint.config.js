// ESLint flat config: typescript-eslint with type information (projectService reads tsconfig.json).
// The toolchain comes from tools/lint (typescript-eslint needs TypeScript < 6.1; the repo's
// typecheck uses TypeScript 7): see tools/lint/README.md. Rule choices: docs/operations.md "Lint and format".
import { js, tseslint } from 'tutti-lint';

// protocols/ and policies/ are pure (docs/architecture.md): no node: modules, no services/ or
// scripts/, nothing that does I/O. tests/architecture/purity.test.ts checks the same and more
// (I/O globals) without the linter. No file is exempt: hosts inject node:crypto where it is faster
// (services/party/native-crypto.ts).
const pureImports = {
  patterns: [
    { regex: '^node:', message: 'protocols/ and policies/ are pure: no node: modules (docs/architecture.md).' },
    {
      regex:
        '^(assert|buffer|child_process|cluster|crypto|dgram|dns|events|fs|http|http2|https|net|os|path|perf_hooks|process|readline|stream|timers|tls|url|util|v8|vm|worker_threads|zlib)(/.*)?$',
      message: 'protocols/ and policies/ are pure: no node builtins (docs/architecture.md).',
    },
    { regex: '(^|/)(services|scripts)/', message: 'protocols/ and policies/ must not import services/ or scripts/ (I/O lives in services/).' },
    { regex: '^(ws|express|better-sqlite3|prom-client)$', message: 'protocols/ and policies/ are pure: no I/O libraries.' },
  ],
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '**/node_modules/**',
      'coverage/**',
      'bench-out/**',
      '.data/**',
      '.tutti/**',
      'scripts/bench/results/**',
      '**/dist/**',
      // AssemblyScript: compiled to WebAssembly by scripts/build-wasm.mjs, not TypeScript.
      '**/*.as.ts',
      '.build/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Promises: a dropped promise is a silent failure or a crash on unhandled rejection.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Numbers and arrays print fine in messages; unknown/objects do not (`[object Object]`).
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowArray: true }],
      // `typeof ed25519 | typeof ed448` are structurally equal but name different curves: keep them.
      '@typescript-eslint/no-duplicate-type-constituents': 'off',
      // A `let` read by a closure before its one assignment (a link built after the party that uses it).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // `CompiledPolicy | unknown`, `SigningAlgorithm | string`: the union documents what is expected
      // of an input that is checked at run time.
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // Tests read JSON from HTTP bodies and files: the no-unsafe-* family would want hundreds of
    // mechanical casts there, and a needless `!` in a test harms nothing (docs/operations.md "Lint and format").
    files: ['tests/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
  { files: ['protocols/**/*.ts', 'policies/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': ['error', pureImports] } },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: {
        process: 'readonly',
        console: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
      },
    },
  },
);
