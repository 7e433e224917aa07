// Protocol-only timing of a DKLs23 reshare 2-of-3 → 3-of-5 (two dealers that stay, one old holder
// that stays without dealing, two new parties), all parties simulated in one process with the
// wire codec (tests/support/simulator.ts), per curve: docs/benchmarks.md "Reshare".
//   node --import tsx scripts/bench/dkls23-reshare.ts [--runs N]
import { createDklsReshare, dklsPublicPackageOf, type ReshareMember } from '../../protocols/dkls23/reshare.ts';
import { outputsOf, seededRng, simulate } from '../../tests/support/simulator.ts';
import { testKey, type TestKeyName } from '../../tests/support/dkls23-test-keys.ts';
import { sha256 } from '@noble/hashes/sha2.js';

const at = process.argv.indexOf('--runs');
const runs = at > 0 ? Number(process.argv[at + 1]) : 1;
const MEMBERS: ReshareMember[] = [{ old: 1, new: 1 }, { old: 3, new: 2 }, { new: 3 }, { new: 4 }, { new: 5 }];
for (const name of ['secp256k1-2of3', 'p256-2of3'] as TestKeyName[]) {
  const key = testKey(name);
  const oldKey = dklsPublicPackageOf(key.shares.get(1)!);
  for (let r = 0; r < runs; r++) {
    const label = `bench/${name}/${r}`;
    const t0 = performance.now();
    const sessions = MEMBERS.map((m, k) =>
      createDklsReshare({
        curve: key.curve,
        sessionId: sha256(new TextEncoder().encode(label)),
        self: k + 1,
        oldKey,
        ...(m.old !== undefined ? { share: key.shares.get(m.old)! } : {}),
        members: MEMBERS,
        tNew: 3,
        context: new Uint8Array(0),
        rng: seededRng(`${label}/${k}`),
      }),
    );
    const out = outputsOf(simulate(sessions));
    const ms = performance.now() - t0;
    if (out.size !== MEMBERS.length) throw new Error('reshare did not finish');
    console.log(`${name} → 3-of-5: ${ms.toFixed(0)} ms for all 5 parties`);
  }
}
