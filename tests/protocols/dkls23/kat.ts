// Known-answer vectors for the DKLs23 building blocks (not a test file). Each vector file under
// tests/vectors/dkls23/ holds the inputs (seeds of the deterministic test rng and parameters) and
// every output, as lowercase hex. A test recomputes the outputs and compares them with the file;
// the same test also checks the defining relation independently (a KAT alone only pins today's
// behaviour). To create a missing file, run the tests once with DKLS23_WRITE_KATS=1 and review the
// diff before committing it.
import { expect } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const dir = new URL('../../vectors/dkls23/', import.meta.url);

export function checkKat(name: string, computed: unknown): void {
  const file = new URL(`${name}.json`, dir);
  const json = JSON.parse(JSON.stringify(computed)) as unknown;
  if (!existsSync(file)) {
    if (process.env.DKLS23_WRITE_KATS === '1') {
      writeFileSync(file, JSON.stringify(json, null, 1) + '\n');
      return;
    }
    throw new Error(`missing known-answer file tests/vectors/dkls23/${name}.json (run with DKLS23_WRITE_KATS=1 to create it)`);
  }
  expect(json).toEqual(JSON.parse(readFileSync(file, 'utf8')));
}
