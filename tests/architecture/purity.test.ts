// protocols/ and policies/ are pure (docs/architecture.md "Purity"): state machines and evaluators
// that take time, randomness and state as arguments. I/O lives in services/. This scans every .ts
// file under both folders and fails on an import of a node: module or a bare node builtin, of an
// I/O package, of anything outside protocols/ and policies/ (services/, scripts/, tests/), and on
// use of a global that does I/O or reads the clock or ambient randomness. ESLint's
// no-restricted-imports (eslint.config.js) says the same about imports while editing.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeOnly, specifiers } from './source-scan.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const PURE_DIRS = ['protocols', 'policies'];

/**
 * Exceptions by file (none today). The node:crypto uses for speed that used to be here (DKLs23's
 * SHA-256, FROST's Ed25519 verify) became injection points (`useSha256`, `useEdwardsVerify`) that
 * services/party/native-crypto.ts fills in the daemons, so protocols/ runs in a browser (docs/waas.md).
 */
const ALLOWED: Record<string, string[]> = {};

/** Packages that exist to do I/O. */
const IO_PACKAGES = /^(ws|express|better-sqlite3|prom-client|undici|node-fetch|axios)(\/|$)/;

/** Globals that do I/O, read the clock or ambient randomness, or load code at run time. */
const IO_GLOBALS: Array<[RegExp, string]> = [
  [/\bprocess\s*[.[]/, 'process'],
  [/\bfetch\s*\(/, 'fetch'],
  [/\brequire\s*\(/, 'require'],
  [/\bimport\s*\(/, 'dynamic import()'],
  [/\bset(Timeout|Interval|Immediate)\s*\(/, 'timers'],
  [/\bqueueMicrotask\s*\(/, 'queueMicrotask'],
  [/\bDate\.now\b/, 'Date.now'],
  [/\bnew\s+Date\s*\(\s*\)/, 'new Date()'],
  [/\bMath\.random\b/, 'Math.random'],
  [/\bconsole\s*\./, 'console'],
  [/\bperformance\s*\./, 'performance'],
  [/\bcrypto\s*\.\s*(getRandomValues|randomUUID|subtle)\b/, 'Web Crypto'],
  [/\bglobalThis\b/, 'globalThis'],
  [/\b(WebSocket|XMLHttpRequest|Worker)\s*\(/, 'network or workers'],
];

const NODE_BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.split('/')[0]!));

/** What makes `file` (repo-relative) impure, as "line: reason" strings. */
export function violations(file: string, src: string): string[] {
  const found: string[] = [];
  const allowed = ALLOWED[file] ?? [];
  for (const { spec, line } of specifiers(src)) {
    if (allowed.includes(spec)) continue;
    if (spec.startsWith('node:')) found.push(`${line}: imports ${spec}`);
    else if (NODE_BUILTINS.has(spec.split('/')[0]!)) found.push(`${line}: imports node builtin ${spec}`);
    else if (IO_PACKAGES.test(spec)) found.push(`${line}: imports I/O package ${spec}`);
    else if (spec.startsWith('.')) {
      const target = relative(repo, resolve(dirname(join(repo, file)), spec)).split(/[\\/]/)[0]!;
      if (!PURE_DIRS.includes(target)) found.push(`${line}: imports ${spec} (outside ${PURE_DIRS.join('/ and ')}/)`);
    } else if (/^(services|scripts|tests)\//.test(spec)) found.push(`${line}: imports ${spec}`);
  }
  const code = codeOnly(src).split('\n');
  code.forEach((text, i) => {
    for (const [re, what] of IO_GLOBALS) if (re.test(text)) found.push(`${i + 1}: uses ${what}`);
  });
  return found;
}

const sources = (dir: string): string[] =>
  readdirSync(join(repo, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
const files = PURE_DIRS.flatMap(sources).sort();

describe('protocols/ and policies/ are pure', () => {
  test('the scan sees the sources', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files).toContain('protocols/dkls23/sign.ts');
    expect(files).toContain('policies/evaluate.ts');
  });

  test.each(files.map((f) => [f]))('%s', (file) => {
    expect(violations(file, readFileSync(join(repo, file), 'utf8'))).toEqual([]);
  });

  test('each documented exception is still needed (remove it from ALLOWED once it is not)', () => {
    for (const [file, specs] of Object.entries(ALLOWED)) {
      const imported = specifiers(readFileSync(join(repo, file), 'utf8')).map((s) => s.spec);
      for (const spec of specs) expect(`${file} imports ${spec}: ${imported.includes(spec)}`).toBe(`${file} imports ${spec}: true`);
    }
  });

  test('the checker catches what it is meant to catch', () => {
    const bad = [
      "import { createHash } from 'node:crypto';",
      "import { readFileSync } from 'fs';",
      "import type { Party } from '../../services/party/party.ts';",
      "export { bench } from '../../scripts/bench/run.ts';",
      "import WebSocket from 'ws';",
      'const t = Date.now();',
      'const r = Math.random();',
      'setTimeout(() => {}, 1);',
      'console.log(x);',
      'const e = process.env.X;',
      'const m = require("x");',
      'await fetch(url);',
    ].join('\n');
    const found = violations('protocols/core/example.ts', bad);
    expect(found).toEqual([
      '1: imports node:crypto',
      '2: imports node builtin fs',
      '3: imports ../../services/party/party.ts (outside protocols/ and policies/)',
      '4: imports ../../scripts/bench/run.ts (outside protocols/ and policies/)',
      '5: imports I/O package ws',
      '6: uses Date.now',
      '7: uses Math.random',
      '8: uses timers',
      '9: uses console',
      '10: uses process',
      '11: uses require',
      '12: uses fetch',
    ]);
    // Words in comments and strings are not code.
    expect(violations('policies/x.ts', "// Date.now() is passed in\nconst s = 'console.log process.env';\n")).toEqual([]);
    // node:crypto is allowed nowhere, not even in the files that once used it for speed.
    expect(violations('protocols/dkls23/hash.ts', "import { createHash } from 'node:crypto';")).toEqual(['1: imports node:crypto']);
    expect(violations('protocols/dkls23/sign.ts', "import { createHash } from 'node:crypto';")).toEqual(['1: imports node:crypto']);
  });
});
