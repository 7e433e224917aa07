// `npm run fixtures`: makes the DKLs23 test keys of tests/support/dkls23-test-keys.ts with the real
// DKG, once per version of the protocol code, into the test-key cache (the tests would make a
// missing one on first use; this does it ahead of a run, e.g. before timing the unit suite).
import { TEST_KEYS, warmTestKeys } from '../tests/support/dkls23-test-keys.ts';

console.log(`DKLs23 test keys: ${Object.keys(TEST_KEYS).join(', ')}`);
const dir = warmTestKeys((line) => console.log(`  ${line}`));
console.log(`cached in ${dir}`);
