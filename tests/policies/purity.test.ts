// policies/ is pure (docs/architecture.md "Purity"): no sockets, timers, files, environment, logging, clock or
// randomness — time and state come in as arguments. A static check over the sources, plus a load
// of the public entry point.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as api from '../../policies/index.ts';

const root = fileURLToPath(new URL('../../policies/', import.meta.url));
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

const FORBIDDEN =
  /Date\.now|Math\.random|process\.|console\.|setTimeout|setInterval|from 'node:|from '(fs|net|http|https|child_process|crypto|ws|better-sqlite3)'|randomBytes|performance\./;

describe('policies/ is pure', () => {
  test.each(sources(root).map((f) => [f.slice(root.length)]))('%s', (file) => {
    const code = readFileSync(join(root, file), 'utf8').replace(/^\s*\/\/.*$/gm, '');
    expect(code).not.toMatch(FORBIDDEN);
    for (const m of code.matchAll(/from '(\.[^']+)'/g)) expect(m[1]).toMatch(/\.ts$/);
  });

  test('the public API loads', () => {
    expect(typeof api.evaluate).toBe('function');
    expect(typeof api.checkPolicyRevision).toBe('function');
    expect(api.POLICY_LANGUAGE).toBe('tutti-signing-policy/1');
    expect(api.KEY_SCOPE).toBe('@key');
  });
});
