// OT setup shortcuts for the OT-extension and VOLE tests (not a test file): the all-but-one OTs
// run for real, on top of random base-OT keys dealt directly (the base OT itself is tested in
// base-ot.test.ts; running it here would cost seconds per test).
import { pprfChoices, pprfReceive, pprfSend } from '../../../protocols/dkls23/pprf.ts';
import type { OteSenderSeeds } from '../../../protocols/dkls23/softspoken.ts';
import { KAPPA, OTE_BLOCKS, SOFTSPOKEN_Q } from '../../../protocols/dkls23/params.ts';
import { seededRng } from './fixtures.ts';

export type DealtBaseOt = { keys0: Uint8Array; keys1: Uint8Array; choices: Uint8Array; received: Uint8Array; delta: Uint8Array };

export function dealBaseOt(seed: string): DealtBaseOt {
  const rng = seededRng(`deal-base-ot/${seed}`);
  const keys0 = rng(32 * KAPPA),
    keys1 = rng(32 * KAPPA);
  const delta = Uint8Array.from(rng(OTE_BLOCKS), (b) => b % SOFTSPOKEN_Q);
  const choices = pprfChoices(delta);
  const received = new Uint8Array(32 * KAPPA);
  for (let i = 0; i < KAPPA; i++) received.set((choices[i] ? keys1 : keys0).subarray(32 * i, 32 * i + 32), 32 * i);
  return { keys0, keys1, choices, received, delta };
}

/** Seeds for one direction: `receiverSeeds` (all 16 per block) and `sender` (punctured at Δ). */
export function dealOteSeeds(seed: string, pairSid: Uint8Array): { receiverSeeds: Uint8Array; sender: OteSenderSeeds } {
  const d = dealBaseOt(seed);
  const { message, seeds } = pprfSend(pairSid, d.keys0, d.keys1);
  const punctured = pprfReceive(pairSid, d.delta, d.received, message, 1);
  return { receiverSeeds: seeds, sender: { delta: d.delta, seeds: punctured } };
}
