// Batched random 1-of-2 base OT: Endemic OT (Masny–Rindal, eprint 2019/706, Fig. 8: OT from a
// two-message key agreement, receiver first), instantiated with Diffie–Hellman over the signing
// curve and RFC 9380 hash-to-curve for the random oracle onto the group (research notes §1.4 and
// §1.10 item 6: SSWU with a DST per session, pair and index instead of try-and-increment).
//
// Per OT i with receiver choice c:
//   receiver  r_{1−c} = s·G (a uniform point),  r_c = a·G − H_i(c, r_{1−c});  sends (r_0, r_1)
//   sender    m_b = r_b + H_i(b, r_{1−b}) for b = 0, 1 (so m_c = a·G, m_{1−c} is a random-oracle point)
//             key_b = K(i, b, x(β·m_b)), with one KA secret β and B = β·G for the whole batch
//   receiver  key_c = K(i, c, x(a·B))
// (r_0, r_1) is a pair of uniform points whatever c is, so the sender learns nothing; the
// receiver knows the discrete log of at most one of m_0, m_1, the other being fixed by the
// random oracle after r_c and r_{1−c}, so it learns at most one key (CDH). One sender message B
// for all OTs of the batch, as Zhou et al. eprint 2022/1525 §3 do for their endemic OT batch:
// the receiver's second multiplication then runs on one precomputed point.
//
// Plain functions over plain data (Uint8Arrays), so the DKG can run them in a worker thread.
import { LABELS } from '../core/labels.ts';
import { ProtocolError } from '../core/errors.ts';
import { bytesToHex } from '../core/bytes.ts';
import type { Rng } from '../core/session.ts';
import type { DklsCurve, Point } from './curve.ts';
import { decodePoint, encodePoint } from './codec.ts';
import { partyByte, tagged, u16 } from './hash.ts';
import { randomScalar } from './random.ts';
import { multiplyBaseMany, multiplyMany, normalizeMany } from './batch-mul.ts';
import { hashToCurveMany } from './h2c.ts';
import { installedEc, nativeEc } from './native-ec.ts';
import { mulBase } from './scalar-mul.ts';
import { SEED_BYTES } from './params.ts';

export const BASE_OT_KEY_BYTES = SEED_BYTES;
/** Receiver message: (r_0, r_1) per OT. */
export const BASE_OT_RECEIVER_BYTES_PER_OT = 66;
/** Sender message: B. */
export const BASE_OT_SENDER_BYTES = 33;

export type BaseOtReceiverState = {
  /** One byte (0 or 1) per OT. */
  choices: Uint8Array;
  /** The receiver's KA secrets a_i, 32 bytes each. */
  secrets: Uint8Array;
};

export type BaseOtSenderOutput = {
  /** B = β·G, sent to the receiver. */
  message: Uint8Array;
  /** key_0 and key_1 of every OT, 32 bytes each, concatenated. */
  keys0: Uint8Array;
  keys1: Uint8Array;
};

/** The pairwise base-OT session id: one per DKG, ordered pair (sender, receiver). */
export function baseOtSessionId(finalSid: Uint8Array, sender: number, receiver: number): Uint8Array {
  return tagged(LABELS.dkls23BaseOtSid, finalSid, partyByte(sender), partyByte(receiver));
}

/**
 * H_i(b, r) = hash_to_curve(b ‖ r) with a DST naming the curve, the pairwise session and the OT
 * index (RFC 9380 §3.1), for a whole batch of (i, b, r) at once (h2c.ts).
 */
function hashToGroup(curve: DklsCurve, sid: Uint8Array, inputs: readonly { i: number; b: number; r: Point }[]): Point[] {
  const prefix = `${LABELS.dkls23BaseOtHashToCurve}/${curve.name}/${bytesToHex(sid)}/`;
  const msgs = inputs.map(({ b, r }) => {
    const msg = new Uint8Array(34);
    msg[0] = b;
    msg.set(encodePoint(r), 1);
    return msg;
  });
  return hashToCurveMany(
    curve,
    msgs,
    inputs.map(({ i }) => `${prefix}${i}`),
  );
}

function deriveKey(sid: Uint8Array, i: number, b: number, sharedX: Uint8Array): Uint8Array {
  // x-only: the KA key of ECDH (SEC 1 §3.3.1), so a native ECDH computes it too (native-ec.ts).
  return tagged(LABELS.dkls23BaseOtKey, sid, u16(i), Uint8Array.of(b), sharedX);
}

/** x(k·P_j) for one secret k: a host's native ECDH for this curve, else one lockstep batch (batch-mul.ts). */
function sharedXs(curve: DklsCurve, k: bigint, points: readonly Point[]): Uint8Array[] {
  const native = nativeEc(curve.name)?.ecdhX;
  if (native)
    return native(
      curve.Fn.toBytes(k),
      normalizeMany(curve, points).map((p) => p.toBytes(false)),
    );
  return multiplyMany(curve, k, points).map((p) => p.toBytes(true).subarray(1));
}

function checkChoices(choices: Uint8Array): void {
  if (!(choices instanceof Uint8Array) || choices.length === 0 || choices.length > 0xffff || choices.some((c) => c > 1))
    throw new RangeError('choices must be 1..65535 bytes, each 0 or 1');
}

/** Receiver, first and only message. */
export function baseOtReceive1(curve: DklsCurve, sid: Uint8Array, choices: Uint8Array, rng: Rng): { message: Uint8Array; state: BaseOtReceiverState } {
  checkChoices(choices);
  const { Point, Fn } = curve;
  const count = choices.length;
  const message = new Uint8Array(count * BASE_OT_RECEIVER_BYTES_PER_OT);
  const secrets = new Uint8Array(count * 32);
  const s: bigint[] = [],
    a: bigint[] = [];
  for (let i = 0; i < count; i++) {
    s.push(randomScalar(curve, rng));
    a.push(randomScalar(curve, rng));
  }
  // All 2·count base-point products at once (batch-mul.ts).
  const others = multiplyBaseMany(curve, Point.BASE, s);
  const aG = multiplyBaseMany(curve, Point.BASE, a);
  const hs = hashToGroup(
    curve,
    sid,
    others.map((r, i) => ({ i, b: choices[i]!, r })),
  );
  const mines: Point[] = [];
  for (let i = 0; i < count; i++) {
    let mine = aG[i]!.subtract(hs[i]!);
    while (mine.is0()) {
      // probability ~2^-256; the identity has no encoding
      a[i] = randomScalar(curve, rng);
      mine = Point.BASE.multiply(a[i]!).subtract(hs[i]!);
    }
    mines.push(mine);
  }
  const mineAffine = normalizeMany(curve, mines); // one inversion before encoding them all
  for (let i = 0; i < count; i++) {
    const c = choices[i]!;
    const other = others[i]!;
    const mine = mineAffine[i]!;
    secrets.set(Fn.toBytes(a[i]!), 32 * i);
    const off = i * BASE_OT_RECEIVER_BYTES_PER_OT;
    message.set(encodePoint(c === 0 ? mine : other), off);
    message.set(encodePoint(c === 0 ? other : mine), off + 33);
  }
  return { message, state: { choices: choices.slice(), secrets } };
}

/**
 * Sender: checks the receiver's message (exact length, valid non-identity points; else
 * 'malformed' naming `receiver`) and derives both keys of every OT.
 */
export function baseOtSend(curve: DklsCurve, sid: Uint8Array, message: Uint8Array, count: number, rng: Rng, receiver: number): BaseOtSenderOutput {
  if (message.length !== count * BASE_OT_RECEIVER_BYTES_PER_OT)
    throw new ProtocolError('malformed', `base OT message of ${message.length} bytes, expected ${count * BASE_OT_RECEIVER_BYTES_PER_OT}`, [receiver]);
  const beta = randomScalar(curve, rng);
  const B = mulBase(curve, beta);
  const keys0 = new Uint8Array(count * 32);
  const keys1 = new Uint8Array(count * 32);
  const r: Point[] = []; // r_0 of OT i at 2i, r_1 at 2i+1
  for (let i = 0; i < count; i++) {
    const off = i * BASE_OT_RECEIVER_BYTES_PER_OT;
    r.push(decodePoint(curve, message.subarray(off, off + 33), `base OT ${i} r0`, [receiver]));
    r.push(decodePoint(curve, message.subarray(off + 33, off + 66), `base OT ${i} r1`, [receiver]));
  }
  // m_b = r_b + H_i(b, r_{1−b}).
  const hs = hashToGroup(
    curve,
    sid,
    r.map((_, k) => ({ i: k >>> 1, b: k & 1, r: r[k ^ 1]! })),
  );
  const m: Point[] = [];
  for (let k = 0; k < 2 * count; k++) {
    const mk = r[k]!.add(hs[k]!);
    // An identity m_b would make key_b public; only a cheating receiver can aim for it.
    if (mk.is0()) throw new ProtocolError('malformed', `base OT ${k >>> 1}: degenerate receiver points`, [receiver]);
    m.push(mk);
  }
  // All 2·count products share the secret β: one batch.
  const shared = sharedXs(curve, beta, m);
  for (let i = 0; i < count; i++) {
    keys0.set(deriveKey(sid, i, 0, shared[2 * i]!), 32 * i);
    keys1.set(deriveKey(sid, i, 1, shared[2 * i + 1]!), 32 * i);
  }
  return { message: encodePoint(B), keys0, keys1 };
}

/** Receiver: checks B ('malformed' naming `sender`) and derives key_c of every OT. */
export function baseOtReceive2(curve: DklsCurve, sid: Uint8Array, state: BaseOtReceiverState, message: Uint8Array, sender: number): Uint8Array {
  const { Fn } = curve;
  const B = decodePoint(curve, message, 'base OT sender message', [sender]);
  const count = state.choices.length;
  const a: bigint[] = [];
  for (let i = 0; i < count; i++) a.push(Fn.fromBytes(state.secrets.subarray(32 * i, 32 * i + 32)));
  // B is the same for every OT of the batch: one table, all products in lockstep (batch-mul.ts),
  // or a host's own ECDH for this curve (native-ec.ts: OpenSSL's P-256 in the daemons). Not the
  // WebAssembly kernel's default ECDH: it builds B's table again for every scalar, and a batch of
  // 256 took ≈ 107 ms there against ≈ 47 ms in lockstep (secp256k1, docs/benchmarks.md "The base
  // OT receiver's products on one table"). Timing: the same secrets a_i already go through the same
  // lockstep code in baseOtReceive1 (a_i·G): a fixed operation count, tables read by secret index,
  // no timing guarantee (docs/security.md "Known limits", secrets in JavaScript memory); nothing
  // new is exposed here.
  const native = installedEc(curve.name)?.ecdhX;
  const Bu = B.toBytes(false);
  const shared = native ? a.map((ai) => native(Fn.toBytes(ai), [Bu])[0]!) : multiplyBaseMany(curve, B, a).map((p) => p.toBytes(true).subarray(1));
  const keys = new Uint8Array(count * 32);
  for (let i = 0; i < count; i++) keys.set(deriveKey(sid, i, state.choices[i]!, shared[i]!), 32 * i);
  return keys;
}
