// CPU of a warm-stock DKLs23 Sign's own crypto, in process (issue 17): each signer's online share
// (presign.ts presignatureShare) and the gateway's combine + the verification that gates the
// return (presign-stock.ts combinePresigned, sign.ts) — what a presigned Sign adds over the
// request path. The presignature is made directly from a known key (only its invariants matter:
// Σu = k·φ, Σv = sk·φ), so no DKG runs. process.cpuUsage() around the calls, so other processes
// on a shared machine count little; medians.
//
//   node --import tsx scripts/bench/presign-gateway-cpu.ts [--runs 200] [--curve secp256k1|p256] [--type RAW|DIGEST] [--t 2]
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { bytesToHex } from '@noble/curves/utils.js';
import { presignatureRecord, presignatureShare, type DklsPresignature } from '../../protocols/dkls23/presign.ts';
import type { DklsKeyShare } from '../../protocols/dkls23/keyshare.ts';
import type { DklsCurveName } from '../../protocols/dkls23/curve.ts';
import { combinePresigned } from '../../services/coordinator/presign-stock.ts';
import * as keySpecs from '../../services/coordinator/key-specs.ts';
import { installNativeCrypto } from '../../services/party/native-crypto.ts';

const { values } = parseArgs({ options: { runs: { type: 'string' }, curve: { type: 'string' }, type: { type: 'string' }, t: { type: 'string' } } });
const runs = Number(values.runs ?? 200);
const curve = (values.curve ?? 'secp256k1') as DklsCurveName;
const messageType = (values.type ?? 'RAW') as 'RAW' | 'DIGEST';
const t = Number(values.t ?? 2);
const noble = curve === 'p256' ? p256 : secp256k1;
const info = keySpecs.KEY_SPECS[curve === 'p256' ? 'ECC_NIST_P256' : 'ECC_SECG_P256K1']!;
installNativeCrypto(); // as the gateway and the parties do
const Fn = noble.Point.Fn;
const signers = Array.from({ length: t }, (_, k) => k + 1);

const secret = noble.utils.randomSecretKey();
const sk = BigInt('0x' + bytesToHex(secret));
const publicKey = bytesToHex(noble.getPublicKey(secret, true));
const spki = keySpecs.spkiDer(info, noble.getPublicKey(secret, true));
const rand = () => Fn.create(BigInt('0x' + randomBytes(40).toString('hex')));
const hex = (x: bigint) => bytesToHex(Fn.toBytes(x));
const pt = (x: bigint) => bytesToHex(noble.Point.BASE.multiply(x).toBytes(true));

function presignature(): DklsPresignature[] {
  const k = rand();
  const phis = signers.map(rand);
  const phi = phis.reduce((a, b) => Fn.add(a, b));
  const us = signers.map(rand),
    vs = signers.map(rand);
  us[t - 1] = Fn.sub(
    Fn.mul(k, phi),
    us.slice(0, -1).reduce((a, b) => Fn.add(a, b), 0n),
  );
  vs[t - 1] = Fn.sub(
    Fn.mul(sk, phi),
    vs.slice(0, -1).reduce((a, b) => Fn.add(a, b), 0n),
  );
  const id = randomBytes(32).toString('hex');
  return signers.map((self, j) => ({
    v: 1,
    curve,
    id,
    publicKey,
    dkgSessionId: 'ef'.repeat(32),
    signers,
    self,
    R: pt(k),
    consumeId: `c${self}`,
    secret: { phi: hex(phis[j]!), u: hex(us[j]!), v: hex(vs[j]!) },
    public: { index: self, Phi: pt(phis[j]!), U: pt(us[j]!), V: pt(vs[j]!) },
  }));
}

const cpu = (f: () => void): number => {
  const c = process.cpuUsage();
  f();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const share = (i: number) => ({ curve, publicKey, index: i }) as unknown as DklsKeyShare;
const verifyIssued = (keySpecs as Record<string, unknown>).verifyIssued as typeof keySpecs.verifyIssued | undefined;

const party: number[] = [],
  gateway: number[] = [];
for (let i = 0; i < runs + 20; i++) {
  const ps = presignature();
  // Made when the presign session ends (the refill), not on the Sign path.
  const record = presignatureRecord(
    curve,
    publicKey,
    ps.map((p) => ({ id: p.id, R: p.R, signers: p.signers, part: p.public })),
  );
  const message = new Uint8Array(randomBytes(100));
  const req =
    messageType === 'RAW'
      ? { signingAlgorithm: 'ECDSA_SHA_256', messageType, message }
      : { signingAlgorithm: 'ECDSA_SHA_256', messageType, message: createHash('sha256').update(message).digest() };
  const digest = messageType === 'RAW' ? createHash('sha256').update(message).digest() : req.message;
  const outputs = new Map<number, unknown>();
  const pms = cpu(() => {
    for (const p of ps) {
      const o = presignatureShare({ presignature: p, share: share(p.self), sessionId: new Uint8Array(32), signers, digest });
      outputs.set(p.self, { w: bytesToHex(o.w), u: bytesToHex(o.u), request: bytesToHex(o.request) });
    }
  });
  let ok = false;
  const gms = cpu(() => {
    const c = combinePresigned(record, req, outputs);
    const sig = c.ok ? keySpecs.apiSignature(info, c.signature) : null;
    // The gateway's checks before Sign returns (sign.ts), as each version of it does them.
    ok = !!sig && (verifyIssued ? verifyIssued(info, spki, req, sig) : keySpecs.verifySignature(info, spki, req, sig) && keySpecs.isLowS(info, sig));
  });
  if (!ok) throw new Error('the combined signature does not verify');
  if (i >= 20) {
    party.push(pms / t);
    gateway.push(gms);
  }
}
console.log(
  `${curve} ${t} signers, ${messageType}: CPU ms (median of ${runs}): online share per signer ${median(party).toFixed(2)}, gateway combine + verify ${median(gateway).toFixed(2)} (${verifyIssued ? 'verifyIssued, once' : 'combine verifies, then verifySignature'})`,
);
