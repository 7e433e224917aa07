// A cached DKLs23 test key (dkls23-test-keys.ts: made by the real DKG, once per version of the
// protocol code) put into real parties' stores as their DKG would have left it: each party's share
// sealed in its ShareStore and made active together with revision 1 of the signing policy (the
// same PolicyGate.initial / ShareStore.putPending / PolicyGate.bind steps as
// services/party/dkg.ts, with the same KeyMeta). For the party-service tests whose subject is what
// comes after key generation (signing, presignatures, garbled frames, derived keys...): a DKLs23
// DKG between parties costs seconds of OT setup per pair. The tests that test the DKG between
// parties (identity-key-decrypts-dkg.test.ts, the e2e tier) still run it.
//
// What differs from a DKG run between these parties: the shares were bound to the test context
// (TEST_KEY_CONTEXT), not to this key id, policy hash and these identities (dkg.ts dkgContext);
// nothing after the DKG reads that context. Not a test file.
import { bytesToHex } from '../../protocols/core/bytes.ts';
import { defaultSigningPolicy } from '../../policies/default-policy.ts';
import { PROTOCOL_SUITES } from '../../services/party/request-check.ts';
import { FAMILIES } from '../../services/party/protocol-families.ts';
import { chainCodeHex } from '../../services/party/derived-key.ts';
import { PolicyGate } from '../../services/party/policy-gate.ts';
import type { KeyMeta } from '../../services/party/party-options.ts';
import type { ShareStore } from '../../services/storage/share-store.ts';
import type { PolicyStore } from '../../services/storage/policy-store.ts';
import type { PublicIdentity } from '../../services/transport/identity.ts';
import { testKey, type TestKeyName } from './dkls23-test-keys.ts';
import type { Harness } from './party-harness.ts';

const PROTOCOL = { secp256k1: 'dkls23-secp256k1', p256: 'dkls23-p256' } as const;

/**
 * Gives the parties of `parties` (in index order: parties[k] is party k + 1 and holds share k + 1)
 * the shares of the cached key `name` as key `keyId`, with `policy` (default: the key spec's
 * default policy) as revision 1. Returns the public key as a DKG result reports it (hex, compressed).
 */
export function installDklsTestKey(
  name: TestKeyName,
  keyId: string,
  parties: { identity: PublicIdentity; shares: ShareStore; policyStore: PolicyStore }[],
  policy?: unknown,
): { publicKey: string } {
  const key = testKey(name);
  if (parties.length !== key.n) throw new Error(`test key ${name} has ${key.n} shares, not ${parties.length}`);
  const protocol = PROTOCOL[key.curve];
  const { keySpec, suite, algorithms } = PROTOCOL_SUITES[protocol]!;
  const doc = policy ?? defaultSigningPolicy(keySpec as never, algorithms);
  const session = `installed-test-key/${keyId}`;
  parties.forEach((p, k) => {
    const share = key.shares.get(k + 1)!;
    const gate = new PolicyGate({ store: p.policyStore });
    const { record, hash } = gate.initial(keyId, keySpec, session, doc, { t: key.t, n: key.n });
    const facts = FAMILIES.dkls23.shareFacts(share);
    const meta: KeyMeta = {
      keySpec,
      protocol,
      suite,
      threshold: key.t,
      n: key.n,
      parties: parties.map((q) => q.identity),
      publicKey: facts.publicKey,
      transcriptHash: facts.transcriptHash,
      policyHash: hash,
      self: k + 1,
    };
    const version = (p.shares.activeVersion(keyId) ?? 0) + 1;
    p.shares.putPending({ keyId, protocol, version, share, meta: { ...meta, chainCode: chainCodeHex(meta.transcriptHash) } });
    gate.bind(keyId, session, record, hash, () => p.shares.activate(keyId, version));
  });
  return { publicKey: bytesToHex(key.publicKey) };
}

/** installDklsTestKey on every party of a party-harness.ts harness (party k + 1 is h.ids[k]). */
export function installDklsTestKeyOn(h: Harness, name: TestKeyName, keyId: string, policy?: unknown): { publicKey: string } {
  return installDklsTestKey(
    name,
    keyId,
    h.ids.map((id, k) => ({ identity: h.allowlist[k]!, shares: h.nodes.get(id)!.shares, policyStore: h.nodes.get(id)!.policyStore })),
    policy,
  );
}
