// The unit tier (jest.config.js: tests/protocols, tests/policies, tests/architecture) is the one
// `npm test` runs at the lowest CPU priority beside the other tiers (scripts/test.mjs), where a test
// may wait seconds for a core. That is safe only while no unit test waits on a clock or on another
// process: no timers, no child processes, worker threads, sockets or servers, no databases. This
// scans the tier's files (and the test helpers they import from tests/support/) for the imports
// and calls that would make a test depend on how fast the machine runs it; a test that needs them
// belongs in the integration tier (any folder under tests/ but those three and tests/e2e).
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeOnly, specifiers } from './source-scan.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const UNIT_DIRS = ['tests/protocols', 'tests/policies', 'tests/architecture'];

/** Modules whose use means waiting on another process, a socket or a database. */
const WAITING_MODULES =
  /^(node:)?(child_process|worker_threads|cluster|net|http|https|http2|dgram|tls|timers(\/promises)?)$|^(ws|express|better-sqlite3|pg)(\/|$)/;

/** Calls that wait on the clock or start a worker. */
const WAITING_CALLS: Array<[RegExp, string]> = [
  [/\bset(Timeout|Interval|Immediate)\s*\(/, 'a timer'],
  [/\bAtomics\.wait\s*\(/, 'Atomics.wait'],
  [/\bnew\s+Worker\s*\(/, 'a worker'],
  [/\bjest\.(useFakeTimers|advanceTimersByTime)\b/, 'jest timers'],
];

function tsFiles(dir: string): string[] {
  return readdirSync(join(repo, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.slow.test.ts'))
    .map((f) => join(dir, f));
}

/** What `file` does that waits, as readable findings (empty: nothing). */
function waits(file: string, src: string): string[] {
  const found = specifiers(src)
    .filter(({ spec }) => WAITING_MODULES.test(spec))
    .map(({ spec }) => `${file}: imports ${spec}`);
  const code = codeOnly(src);
  for (const [re, what] of WAITING_CALLS) if (re.test(code)) found.push(`${file}: uses ${what}`);
  return found;
}

/** The unit files, and the tests/support/ helpers they import (transitively, within tests/support/). */
function unitFiles(): string[] {
  const seen = new Set<string>();
  const queue = UNIT_DIRS.flatMap(tsFiles);
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const { spec } of specifiers(readFileSync(join(repo, file), 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = relative(repo, resolve(dirname(join(repo, file)), spec));
      if (target.startsWith('tests/support/')) queue.push(target);
    }
  }
  return [...seen].sort();
}

describe('the unit tier waits on no clock and no other process', () => {
  test('no timers, workers, child processes, sockets or databases in its files and their test helpers', () => {
    const files = unitFiles();
    expect(files.length).toBeGreaterThan(50);
    // tests/support/dkls23-test-keys.ts waits (Atomics.wait) only for another jest worker making
    // the same cached key, with no deadline: however long that takes, the outcome is the same.
    const ALLOWED = new Set(['tests/support/dkls23-test-keys.ts: uses Atomics.wait']);
    const found = files.flatMap((f) => waits(f, readFileSync(join(repo, f), 'utf8'))).filter((w) => !ALLOWED.has(w));
    expect(found).toEqual([]);
  });

  test('the scan sees what it looks for', () => {
    expect(waits('x.ts', "import { spawn } from 'node:child_process';\nsetTimeout(() => {}, 10);")).toEqual([
      'x.ts: imports node:child_process',
      'x.ts: uses a timer',
    ]);
    expect(waits('x.ts', "import WebSocket from 'ws';\nconst s = 'setTimeout(f, 1)'; // setInterval(g)\n")).toEqual(['x.ts: imports ws']);
    expect(waits('x.ts', "import { readFileSync } from 'node:fs';\nconst t = performance.now();\n")).toEqual([]);
  });
});
