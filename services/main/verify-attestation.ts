// `cli.ts verify-attestation`: checks a key's creation receipts offline (docs/security.md "Checking
// how a key was made"). Input: the JSON that GetKeyAttestation returned (or just its Receipts
// array), the parties' identity keys the verifier trusts (a peers.json it holds, or --party), and
// what it expects: the signing policy (its document, hashed here, or its hash) and the threshold.
// Exit status 0 only when every party of the key signed the same facts under its pinned key and
// the facts match.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { policyHash } from '../../policies/hash.ts';
import { verifyAttestation } from '../control/receipts.ts';
import { parsePublicIdentity, type PublicIdentity } from '../transport/identity.ts';

export const VERIFY_USAGE =
  'verify-attestation --receipts FILE (--peers PEERS.json | --party ID:SIGNPUB:KEXPUB …) ' +
  '[--key-id ID] [--public-key HEX] [--policy FILE | --policy-hash HASH] [--threshold T | --min-threshold T] [--require-dkg]';

export function runVerifyAttestation(args: string[], out: (line: string) => void = console.log): number {
  const { values } = parseArgs({
    args,
    options: {
      receipts: { type: 'string' },
      peers: { type: 'string' },
      party: { type: 'string', multiple: true },
      'key-id': { type: 'string' },
      'public-key': { type: 'string' },
      policy: { type: 'string' },
      'policy-hash': { type: 'string' },
      threshold: { type: 'string' },
      'min-threshold': { type: 'string' },
      'require-dkg': { type: 'boolean' },
    },
  });
  if (!values.receipts || (!values.peers && !values.party?.length)) {
    out(`usage: cli.ts ${VERIFY_USAGE}`);
    return 2;
  }
  const doc = JSON.parse(readFileSync(values.receipts, 'utf8')) as unknown;
  const receipts = Array.isArray(doc) ? doc : ((doc as { Receipts?: unknown[] }).Receipts ?? []);
  const pinned: PublicIdentity[] = [];
  if (values.peers) pinned.push(...(JSON.parse(readFileSync(values.peers, 'utf8')) as { peers: unknown[] }).peers.map(parsePublicIdentity));
  for (const p of values.party ?? []) {
    const [partyId, signPublic, kexPublic] = p.split(':');
    pinned.push(parsePublicIdentity({ partyId, signPublic, kexPublic }));
  }
  const expectedPolicyHash = values.policy ? policyHash(JSON.parse(readFileSync(values.policy, 'utf8'))) : values['policy-hash'];
  const { problems, facts } = verifyAttestation(receipts, {
    pinned,
    ...(values['key-id'] ? { keyId: values['key-id'] } : {}),
    ...(values['public-key'] ? { publicKey: values['public-key'] } : {}),
    ...(expectedPolicyHash ? { policyHash: expectedPolicyHash } : {}),
    ...(values.threshold ? { threshold: Number(values.threshold) } : {}),
    ...(values['min-threshold'] ? { minThreshold: Number(values['min-threshold']) } : {}),
    ...(values['require-dkg'] ? { requireDkg: true } : {}),
  });
  if (problems.length) {
    out(`attestation FAILED:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    return 1;
  }
  out(
    `attestation OK: key ${facts!.keyId} (${facts!.keySpec}), public key ${facts!.publicKey}, ${facts!.threshold}-of-${facts!.parties.length} ` +
      `(${facts!.parties.map((p) => p.partyId).join(', ')}), signing policy ${facts!.policyHash}, signed by every party` +
      (facts!.imported !== undefined ? `; IMPORTED (manifest ${facts!.imported}): weaker than a DKG key` : ''),
  );
  return 0;
}
