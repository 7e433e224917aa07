// What a client of an ECDSA key does with what the KMS API returns, using only GetPublicKey's SPKI:
// verification with node:crypto (OpenSSL) and noble, low-S, and the Ethereum address and recovery
// id (viem), as the Ethereum signers of docs/kms-compatibility.md "Key specs and algorithms" do it.
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { recoverAddress, type Hex } from 'viem';
import { publicKeyToAddress } from 'viem/accounts';

export type EcdsaCurveName = 'secp256k1' | 'p256';
export const CURVES = { secp256k1, p256 } as const;

/** SPKI prefixes of docs/kms-compatibility.md "Key specs and algorithms" (the uncompressed point follows). */
export const SPKI_PREFIX: Record<EcdsaCurveName, string> = {
  secp256k1: '3056301006072a8648ce3d020106052b8104000a034200',
  p256: '3059301306072a8648ce3d020106082a8648ce3d030107034200',
};

/** The uncompressed point 04 ‖ X ‖ Y at the end of an EC SPKI. */
export const pointOf = (spki: Uint8Array): Uint8Array => spki.subarray(spki.length - 65);

/** node:crypto over the message itself (it hashes with SHA-256): what ECDSA_SHA_256 RAW promises. */
export function opensslVerifies(spki: Uint8Array, message: Uint8Array, der: Uint8Array): boolean {
  return nodeVerify('sha256', message, { key: createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }), dsaEncoding: 'der' }, der);
}

/** noble over a 32-byte digest as given (prehash off). `lowS: true` also demands s ≤ q/2. */
export function nobleVerifies(curve: EcdsaCurveName, spki: Uint8Array, digest: Uint8Array, der: Uint8Array, lowS = false): boolean {
  return CURVES[curve].verify(der, digest, pointOf(spki), { prehash: false, format: 'der', lowS });
}

export function rs(curve: EcdsaCurveName, der: Uint8Array): { r: bigint; s: bigint } {
  const sig = CURVES[curve].Signature.fromBytes(der, 'der');
  return { r: sig.r, s: sig.s };
}

export function isLowS(curve: EcdsaCurveName, der: Uint8Array): boolean {
  return rs(curve, der).s <= CURVES[curve].Point.Fn.ORDER >> 1n;
}

/** The same signature with s replaced by q − s (DER again): as valid, but high-S. */
export function highS(curve: EcdsaCurveName, der: Uint8Array): Uint8Array {
  const c = CURVES[curve];
  const sig = c.Signature.fromBytes(der, 'der');
  return new c.Signature(sig.r, c.Point.Fn.ORDER - sig.s).toBytes('der');
}

/** The Ethereum address of a secp256k1 SPKI: keccak256(X ‖ Y)[12:] (viem). */
export const ethAddress = (spki: Uint8Array): Hex => publicKeyToAddress(`0x${Buffer.from(pointOf(spki)).toString('hex')}`);

const hex32 = (n: bigint): Hex => `0x${n.toString(16).padStart(64, '0')}`;

/**
 * r, s and the y parity that makes `hash` recover to `address` — found by trying both, as AWS KMS
 * Ethereum signers do (AWS returns no recovery id). Throws if neither recovers the address.
 */
export async function ethSignature(der: Uint8Array, hash: Hex, address: Hex): Promise<{ r: Hex; s: Hex; yParity: 0 | 1 }> {
  const { r, s } = rs('secp256k1', der);
  for (const yParity of [0, 1] as const) {
    const sig = { r: hex32(r), s: hex32(s), yParity };
    if ((await recoverAddress({ hash, signature: sig })).toLowerCase() === address.toLowerCase()) return sig;
  }
  throw new Error(`neither parity recovers ${address}`);
}

const GOVERNOR = { id: 'governor', scheme: 'ed25519', publicKey: '0xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a' };

/**
 * A signing policy for tests that sign many kinds of things with one key: RAW under ECDSA_SHA_256,
 * DIGESTs, and on secp256k1 Ethereum transactions (EIP-1559, EIP-155; chains 1 and Sepolia) and
 * EIP-191 messages under ECDSA_KECCAK_256. (The default policy signs RAW and DIGEST blind, but never ECDSA_KECCAK_256.)
 */
export function widePolicy(keySpec: string): object {
  const rules: object[] = [
    { id: 'raw-sha256', effect: 'allow', conditions: { signingAlgorithm: { in: ['ECDSA_SHA_256'] }, messageType: { in: ['RAW'] }, format: { kind: 'raw' } } },
    { id: 'digests', effect: 'allow', conditions: { messageType: { in: ['DIGEST'] } } },
  ];
  if (keySpec === 'ECC_SECG_P256K1') {
    rules.push(
      {
        id: 'evm',
        effect: 'allow',
        conditions: {
          signingAlgorithm: { in: ['ECDSA_KECCAK_256'] },
          format: { kind: 'evmTransaction', txTypes: { in: ['eip1559', 'legacyEip155'] }, chainId: { in: ['1', '11155111'] } },
        },
      },
      { id: 'eip191', effect: 'allow', conditions: { format: { kind: 'eip191' } } },
    );
  }
  return {
    policyLanguage: 'tutti-signing-policy/1',
    keyBinding: { keySpec },
    defaultEffect: 'deny',
    approvers: [GOVERNOR],
    governance: { changeApprovals: { threshold: 1, approvers: ['governor'] } },
    rules,
  };
}
