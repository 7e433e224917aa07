// The PRG that stretches a long-term OT-extension seed into one session's column of 640 bits
// (SoftSpokenOT, Roy eprint 2022/192 §4: "G(seed)"). The seeds are set up once in the DKG and
// reused by every signature, so the stream is keyed by the seed and takes a nonce derived from the
// pairwise per-signature session id: no two sessions ever see the same columns (research notes
// §1.6 "mta sid"). ChaCha20 (RFC 8439): key = seed, nonce = first 12 bytes of H(label, sid),
// block counter from 0. The seeds of one pair are independent and uniform, so the (key, nonce)
// pairs never repeat across seeds or sessions.
import { LABELS } from '../core/labels.ts';
import { tagged } from './hash.ts';
import { chacha20 } from './chacha20.ts';

export function prgNonce(sid: Uint8Array): Uint8Array {
  return tagged(LABELS.dkls23OtePrg, sid).slice(0, 12);
}

/** `bytes` bytes of G(seed) for this session into out[offset…]; seed = seeds[seedOffset … +32]; out32: an optional word view of out (chacha20.ts). */
export function prgInto(nonce: Uint8Array, seeds: Uint8Array, seedOffset: number, out: Uint8Array, offset: number, bytes: number, out32?: Uint32Array): void {
  chacha20(seeds, seedOffset, nonce, 0, out, offset, bytes, out32);
}
