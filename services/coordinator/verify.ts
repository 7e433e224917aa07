// Verify: checked here, against the key's public key; no party is asked (docs/kms-compatibility.md "Key specs and algorithms").
import type { Caller, KeyRecord } from '../kms-api/key-service.ts';
import { dryRun } from '../kms-api/errors.ts';
import { verifySignature } from './key-specs.ts';
import { keyForMessage, keyRecord } from './key-access.ts';
import type { CoordinatorContext } from './context.ts';

export type VerifyRequest = {
  keyId: string;
  message: Uint8Array;
  messageType: 'RAW' | 'DIGEST';
  signature: Uint8Array;
  signingAlgorithm: string;
  dryRun?: boolean;
};

export async function verify({ access }: CoordinatorContext, req: VerifyRequest, caller: Caller): Promise<{ key: KeyRecord; valid: boolean }> {
  const { k, spec, spki } = await keyForMessage(access, 'Verify', caller, req);
  // ECDSA: over the same digest the parties sign (policies/digest.ts signingDigest); high-S accepted.
  const valid = verifySignature(spec, spki, req, req.signature);
  // A dry run answers whether the real call would have succeeded: a bad signature would not.
  if (req.dryRun && valid) throw dryRun();
  return { key: keyRecord(k), valid };
}
