// The PRG that stretches a long-term OT-extension seed into one session's column of 640 bits
// (SoftSpokenOT, Roy eprint 2022/192 §4: "G(seed)"). The seeds are set up once in the DKG and
// reused by every signature, so the expansion is keyed by the pairwise per-signature session id:
// no two sessions ever see the same pseudo-random columns (research notes §1.6 "mta sid").
//
//   key = H(label, sid, u8 block, u8 x, seed);  output = SHA-256(key ‖ u32 0) ‖ SHA-256(key ‖ u32 1) ‖ …
import { LABELS } from '../core/labels.ts';
import { expandSeed, tagged } from './hash.ts';

export function prgColumn(sid: Uint8Array, block: number, x: number, seed: Uint8Array, bytes: number): Uint8Array {
  return expandSeed(tagged(LABELS.dkls23OtePrg, sid, Uint8Array.of(block), Uint8Array.of(x), seed), bytes);
}
