// Verify: checked here, against the key's public key; no party is asked (kms-compat §3).
import type { Caller, KeyRecord } from '../kms-api/key-service.ts';
import { dryRun } from '../kms-api/errors.ts';
import { KEY_SPECS, spkiDer, verifySignature } from './key-specs.ts';
import { checkAlgorithm, keyRecord, requireUsable } from './key-access.ts';
import type { CoordinatorContext } from './context.ts';

export type VerifyRequest = {
  keyId: string; message: Uint8Array; messageType: 'RAW' | 'DIGEST'; signature: Uint8Array; signingAlgorithm: string; dryRun?: boolean;
};

export async function verify({ access }: CoordinatorContext, req: VerifyRequest, caller: Caller): Promise<{ key: KeyRecord; valid: boolean }> {
  const k = access.resolve(req.keyId, caller, 'any');
  access.authorize(k, 'Verify', caller, { 'kms:SigningAlgorithm': req.signingAlgorithm, 'kms:MessageType': req.messageType });
  requireUsable(k);
  const spec = KEY_SPECS[k.keySpec]!;
  checkAlgorithm(spec, req.signingAlgorithm, req.messageType, req.message.length);
  const spki = spkiDer(spec, Buffer.from(k.publicKey!, 'hex'));
  // ECDSA: over the same digest the parties sign (policies/digest.ts signingDigest); high-S accepted.
  const valid = verifySignature(spec, spki, req, req.signature);
  // A dry run answers whether the real call would have succeeded: a bad signature would not.
  if (req.dryRun && valid) throw dryRun();
  return { key: keyRecord(k), valid };
}
