// The pairwise OT setup of the DKLs23 DKG (research notes §1.5 R2a/R3): for every ordered pair
// (A, B), one batch of 256 Endemic base OTs with A as base-OT receiver, turned into 64 all-but-one
// OTs. A ends with Δ and the punctured seeds (its OT-extension *sender* state toward B: A is the
// VOLE sender, "Alice", when it signs with B); B ends with all seeds (its OT-extension *receiver*
// state toward A: B is the VOLE receiver, "Bob"). Both orders run, so each pair can multiply in
// both directions.
//
// Plain functions over plain data (a curve name, numbers and byte arrays in; byte arrays out;
// randomness as a 32-byte seed), so a service can post them to a worker thread as they are: the
// base OTs are the DKG's only heavy step.
import { ProtocolError } from '../core/errors.ts';
import { dklsCurve, type DklsCurveName } from './curve.ts';
import {
  BASE_OT_RECEIVER_BYTES_PER_OT,
  BASE_OT_SENDER_BYTES,
  baseOtReceive1,
  baseOtReceive2,
  baseOtSend,
  baseOtSessionId,
  type BaseOtReceiverState,
} from './base-ot.ts';
import { PPRF_MESSAGE_BYTES, pprfChoices, pprfReceive, pprfSend } from './pprf.ts';
import type { OteSenderSeeds } from './softspoken.ts';
import { derivedRng, randomBytes } from './random.ts';
import { KAPPA, OTE_BLOCKS, SOFTSPOKEN_Q } from './params.ts';

export const OT_SETUP_REQUEST_BYTES = KAPPA * BASE_OT_RECEIVER_BYTES_PER_OT;
export const OT_SETUP_RESPONSE_BYTES = BASE_OT_SENDER_BYTES + PPRF_MESSAGE_BYTES;

export type OtSetupState = { delta: Uint8Array; baseOt: BaseOtReceiverState };

function rngOf(seed: Uint8Array, what: string) {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new RangeError('OT setup needs a 32-byte random seed');
  return derivedRng(seed, `dkls23/ot-setup/${what}`);
}

/**
 * `self` (future Alice toward `peer`) opens: picks Δ, runs the base-OT receiver with Δ's choice
 * bits. `seed`: 32 fresh random bytes, the only source of this step's randomness.
 */
export function otSetupRequest(
  curveName: DklsCurveName,
  finalSid: Uint8Array,
  self: number,
  peer: number,
  seed: Uint8Array,
): { message: Uint8Array; state: OtSetupState } {
  const curve = dklsCurve(curveName);
  const rng = rngOf(seed, 'request');
  const delta = Uint8Array.from(randomBytes(rng, OTE_BLOCKS), (b) => b & (SOFTSPOKEN_Q - 1));
  const sid = baseOtSessionId(finalSid, peer, self);
  const { message, state } = baseOtReceive1(curve, sid, pprfChoices(delta), rng);
  return { message, state: { delta, baseOt: state } };
}

/** `self` (future Bob toward `peer`) answers: base-OT sender, then PPRF holder. */
export function otSetupRespond(
  curveName: DklsCurveName,
  finalSid: Uint8Array,
  self: number,
  peer: number,
  request: Uint8Array,
  seed: Uint8Array,
): { message: Uint8Array; receiverSeeds: Uint8Array } {
  const curve = dklsCurve(curveName);
  const rng = rngOf(seed, 'respond');
  const sid = baseOtSessionId(finalSid, self, peer);
  const base = baseOtSend(curve, sid, request, KAPPA, rng, peer);
  const pprf = pprfSend(sid, base.keys0, base.keys1);
  const message = new Uint8Array(OT_SETUP_RESPONSE_BYTES);
  message.set(base.message, 0);
  message.set(pprf.message, BASE_OT_SENDER_BYTES);
  return { message, receiverSeeds: pprf.seeds };
}

/** `self` finishes with `peer`'s answer: its punctured seeds (a failed PPRF proof bans `peer`). */
export function otSetupFinish(
  curveName: DklsCurveName,
  finalSid: Uint8Array,
  self: number,
  peer: number,
  state: OtSetupState,
  response: Uint8Array,
): OteSenderSeeds {
  const curve = dklsCurve(curveName);
  if (response.length !== OT_SETUP_RESPONSE_BYTES)
    throw new ProtocolError('malformed', `OT setup response of ${response.length} bytes, expected ${OT_SETUP_RESPONSE_BYTES}`, [peer]);
  const sid = baseOtSessionId(finalSid, peer, self);
  const keys = baseOtReceive2(curve, sid, state.baseOt, response.subarray(0, BASE_OT_SENDER_BYTES), peer);
  const seeds = pprfReceive(sid, state.delta, keys, response.subarray(BASE_OT_SENDER_BYTES), peer);
  return { delta: state.delta, seeds };
}
