// The pairwise setup a DKLs23 signing share needs with every other holder (research notes §1.5
// R2a/R3; DKLs23 §5): one OT setup in each direction of the pair (ot-setup.ts: Endemic base OTs
// turned into all-but-one OTs) and a zero-sharing seed mixed from a contribution of each side
// (zero-share.ts). The DKG (dkg.ts, and so refresh.ts) and the reshare's new holders (reshare.ts)
// run the same three steps, in the same rounds:
//   request  (R2 p2p)  OT setup request to the peer ‖ our zero-seed contribution
//   respond  (R3 p2p)  OT setup response to the peer's request (we become its VOLE receiver)
//   finish   (after R3) our VOLE sender seeds from the peer's response, the pair's zero seed
// Parties are named by their index in the key (the DKG's party index, the reshare's NEW index):
// the OT transcripts and the zero seed bind those indices. Randomness comes from the session's
// per-step rng (machine.ts stepRng) under the labels `ot-request/j`, `zero-seed/j`, `ot-respond/j`.
import { bytesToHex } from '../core/bytes.ts';
import type { Rng } from '../core/session.ts';
import { fromHex } from './codec.ts';
import type { DklsCurveName } from './curve.ts';
import { otSetupFinish, otSetupRequest, otSetupRespond } from './ot-setup.ts';
import { zeroSeed } from './zero-share.ts';
import type { DklsPeerMaterial } from './keyshare.ts';
import { randomBytes } from './random.ts';
import { SEED_BYTES } from './params.ts';

/** Our OT setup as base-OT receiver toward one peer (Δ, KA secrets, choices), as a snapshot holds it. */
export type PairwiseRequestState = { delta: string; secrets: string; choices: string };

/** The session-state fields of the pairwise setup, per peer by key index (snapshot field names). */
export type PairwiseSetupState = {
  /** Per peer: our OT setup as base-OT receiver (Δ, KA secrets, choices). */
  otRequests: Record<string, PairwiseRequestState> | null;
  zeroContributions: Record<string, string> | null;
  /** Per peer: all seeds, from our OT setup responses (we are Bob toward that peer). */
  receiverSeeds: Record<string, string> | null;
};

/** The request to `peer`: what we keep and the bytes to send (OT setup request ‖ zero-seed contribution). */
export function pairwiseRequest(
  curve: DklsCurveName,
  finalSid: Uint8Array,
  self: number,
  peer: number,
  stepRng: (step: string) => Rng,
): { request: PairwiseRequestState; zero: string; message: [Uint8Array, Uint8Array] } {
  const req = otSetupRequest(curve, finalSid, self, peer, randomBytes(stepRng(`ot-request/${peer}`), 32));
  const zero = randomBytes(stepRng(`zero-seed/${peer}`), SEED_BYTES);
  return {
    request: { delta: bytesToHex(req.state.delta), secrets: bytesToHex(req.state.baseOt.secrets), choices: bytesToHex(req.state.baseOt.choices) },
    zero: bytesToHex(zero),
    message: [req.message, zero],
  };
}

/** Our answer to `peer`'s OT setup request: the seeds we keep (hex) and the response to send. */
export function pairwiseRespond(
  curve: DklsCurveName,
  finalSid: Uint8Array,
  self: number,
  peer: number,
  request: Uint8Array,
  stepRng: (step: string) => Rng,
): { receiverSeeds: string; message: Uint8Array } {
  const resp = otSetupRespond(curve, finalSid, self, peer, request, randomBytes(stepRng(`ot-respond/${peer}`), 32));
  return { receiverSeeds: bytesToHex(resp.receiverSeeds), message: resp.message };
}

/**
 * Finishes the setup with `peer` from its response to our request: the key share's entry for
 * that peer. `st` is the session's state after respond (our request, contribution and seeds).
 */
export function pairwiseFinish(
  curve: DklsCurveName,
  finalSid: Uint8Array,
  self: number,
  peer: number,
  st: PairwiseSetupState,
  response: Uint8Array,
  peerZero: Uint8Array,
): DklsPeerMaterial {
  const req = st.otRequests![String(peer)]!;
  const sender = otSetupFinish(
    curve,
    finalSid,
    self,
    peer,
    { delta: fromHex(req.delta), baseOt: { secrets: fromHex(req.secrets), choices: fromHex(req.choices) } },
    response,
  );
  return {
    zeroSeed: bytesToHex(zeroSeed(self, fromHex(st.zeroContributions![String(peer)]!), peer, peerZero)),
    voleReceiverSeeds: st.receiverSeeds![String(peer)]!,
    voleSenderDelta: bytesToHex(sender.delta),
    voleSenderSeeds: bytesToHex(sender.seeds),
  };
}
