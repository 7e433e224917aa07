// Signing policies end to end (issue 5), through @aws-sdk/client-kms against a real cluster (gateway
// and party processes): a policy given in CreateKey's `Policy` is enforced by every party on the
// full message — Solana program allowlists, an Ed448 reward-payload structure with a strictly
// increasing sequence, rate limits under concurrency that survive a restart of every party,
// approvals in GrantTokens, policy revisions through PutKeyPolicy — and every decision is in each
// party's hash-chained audit log and its metrics.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createHash, createPublicKey, randomBytes, verify as nodeVerify } from 'node:crypto';
import Sqlite from 'better-sqlite3';
import {
  CreateKeyCommand,
  GetKeyPolicyCommand,
  GetPublicKeyCommand,
  type KMSClient,
  PutKeyPolicyCommand,
  SignCommand,
  VerifyCommand,
  type SigningAlgorithmSpec,
} from '@aws-sdk/client-kms';
import { createApproval, createPolicyChangeApproval, policyHash } from '../../policies/index.ts';
import { canonicalize } from '../../policies/jcs.ts';
import { paths } from '../../services/main/config.ts';
import { approverKey } from '../policies/support/keys.ts';
import { SYSTEM_PROGRAM, TOKEN_PROGRAM, filled, key, message as solanaMessage, transfer } from '../policies/support/solana.ts';
import { ACCOUNT, TestCluster } from '../support/cluster.ts';
import { ethAddress, ethSignature } from '../support/ecdsa.ts';
import {
  hashTypedData,
  keccak256,
  recoverTransactionAddress,
  recoverTypedDataAddress,
  serializeTransaction,
  type Hex,
  type TransactionSerializableEIP1559,
} from 'viem';

jest.setTimeout(180_000);

type SdkError = Error & { name: string; $metadata?: { httpStatusCode?: number } };

let cluster: TestCluster;
let kms: KMSClient;

const CFO = approverKey('cfo', 'ed25519');
const cfoApprover = { id: 'cfo', scheme: 'ed25519', publicKey: `0x${Buffer.from(CFO.publicKey).toString('hex')}` };
const ROOT = { Sid: 'root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };

/** A signing policy whose changes need the CFO's approval. */
function signingPolicy(keySpec: string, rules: object[], extra: object = {}): Record<string, unknown> {
  return {
    policyLanguage: 'tutti-signing-policy/1',
    keyBinding: { keySpec },
    defaultEffect: 'deny',
    approvers: [cfoApprover],
    governance: { changeApprovals: { threshold: 1, approvers: ['cfo'] } },
    rules,
    ...extra,
  };
}

/** An AWS key policy document carrying a signing policy (and, for PutKeyPolicy, a change). */
const keyPolicy = (signing: object | undefined, change?: object): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [ROOT],
    ...(signing ? { TuttiSigningPolicy: signing } : {}),
    ...(change ? { TuttiSigningPolicyChange: change } : {}),
  });

async function createKey(keySpec: string, signing: object | undefined): Promise<string> {
  const out = await kms.send(new CreateKeyCommand({ KeySpec: keySpec as 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY', Policy: keyPolicy(signing) }));
  return out.KeyMetadata!.KeyId!;
}

async function spki(keyId: string): Promise<Uint8Array> {
  return (await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!;
}

const verifies = (der: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean =>
  nodeVerify(null, message, createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }), signature);

/** Counts every Sign that reached the parties, per key: each signer logs one decision for it. */
const signCalls = new Map<string, { allowed: number; denied: number }>();

async function sign(keyId: string, message: Uint8Array, algorithm: string, grantTokens?: string[], messageType: 'RAW' | 'DIGEST' = 'RAW'): Promise<Uint8Array> {
  const tally = signCalls.get(keyId) ?? { allowed: 0, denied: 0 };
  signCalls.set(keyId, tally);
  try {
    const out = await kms.send(
      new SignCommand({
        KeyId: keyId,
        Message: message,
        MessageType: messageType,
        SigningAlgorithm: algorithm as SigningAlgorithmSpec,
        ...(grantTokens ? { GrantTokens: grantTokens } : {}),
      }),
    );
    tally.allowed++;
    return out.Signature!;
  } catch (e) {
    if ((e as SdkError).name === 'AccessDeniedException') tally.denied++;
    throw e;
  }
}

/** The Sign must be refused by the parties' policy: AccessDeniedException whose message names `rule`. */
async function denied(p: Promise<unknown>, rule: string, more?: RegExp): Promise<string> {
  const err = await p.then(
    (ok) => {
      throw new Error(`expected AccessDeniedException, got ${JSON.stringify(ok)}`);
    },
    (e: SdkError) => e,
  );
  expect(err.name).toBe('AccessDeniedException');
  expect(err.message).toContain(`rule '${rule}'`);
  if (more) expect(err.message).toMatch(more);
  return err.message;
}

async function fails(p: Promise<unknown>, type: string, message?: RegExp): Promise<string> {
  const err = await p.then(
    (ok) => {
      throw new Error(`expected ${type}, got ${JSON.stringify(ok)}`);
    },
    (e: SdkError) => e,
  );
  expect(err.name).toBe(type);
  if (message) expect(err.message).toMatch(message);
  return err.message;
}

beforeAll(async () => {
  // No DKLs23 presignatures here: the audit-log test counts one decision per signer per Sign,
  // and a presigned attempt can end before a signer decides (a signer that restarted no longer
  // holds the presignature and refuses before its policy: premade-unknown) or be decided twice
  // (the full-protocol fallback). Presignatures have their own e2e (presign.test.ts).
  cluster = await new TestCluster().start({ gatewayEnv: { TUTTI_PRESIGN_STOCK: '0' } });
  kms = cluster.client();
});

afterAll(async () => {
  kms?.destroy();
  await cluster?.stop();
});

describe('a Solana wallet key: one program only', () => {
  let keyId: string;
  let der: Uint8Array;
  let payer: Uint8Array;
  const rule = {
    id: 'system-transfers',
    effect: 'allow',
    conditions: {
      signingAlgorithm: { in: ['ED25519_SHA_512'] },
      messageType: { in: ['RAW'] },
      format: { kind: 'solanaMessage', programs: { allowlist: [SYSTEM_PROGRAM] }, signingKeyMustBeFeePayer: true },
    },
  };

  beforeAll(async () => {
    keyId = await createKey('ECC_NIST_EDWARDS25519', signingPolicy('ECC_NIST_EDWARDS25519', [rule]));
    der = await spki(keyId);
    payer = der.slice(der.length - 32);
  });

  test('signs a legacy message whose only program is the allowed one (verified with node:crypto)', async () => {
    const msg = transfer(payer, 5_000n);
    expect(verifies(der, msg, await sign(keyId, msg, 'ED25519_SHA_512'))).toBe(true);
  });

  test('refuses a message calling another program, naming the rule', async () => {
    const data = Uint8Array.of(3, 1, 0, 0, 0, 0, 0, 0, 0);
    const other = solanaMessage({ header: [1, 0, 1], keys: [payer, filled(0x22), key(TOKEN_PROGRAM)], instructions: [{ program: 2, accounts: [0, 1], data }] });
    await denied(sign(keyId, other, 'ED25519_SHA_512'), 'builtin:default-deny', /NO_MATCHING_ALLOW.*system-transfers/);
  });

  test('refuses a message whose fee payer is not the key', async () => {
    await denied(sign(keyId, transfer(filled(0x44)), 'ED25519_SHA_512'), 'builtin:default-deny', /system-transfers/);
  });

  test('refuses raw bytes, and a Solana message with bytes after it (invariant I-4)', async () => {
    await denied(sign(keyId, new TextEncoder().encode('just some bytes'), 'ED25519_SHA_512'), 'builtin:default-deny');
    const smuggled = Uint8Array.from([...transfer(payer), 0xde, 0xad]);
    await denied(sign(keyId, smuggled, 'ED25519_SHA_512'), 'builtin:I-4', /INVARIANT/);
  });

  test('GetKeyPolicy returns the CreateKey document as given', async () => {
    const out = await kms.send(new GetKeyPolicyCommand({ KeyId: keyId }));
    expect(out.Policy).toBe(keyPolicy(signingPolicy('ECC_NIST_EDWARDS25519', [rule])));
  });
});

describe('an Ed448 reward key: a fixed payload layout with a strictly increasing sequence', () => {
  let keyId: string;
  let der: Uint8Array;
  const reward = (seq: bigint, magic = 'QREW', size = 64): Uint8Array => {
    const m = new Uint8Array(size).fill(0x5a);
    m.set(new TextEncoder().encode(magic), 0);
    new DataView(m.buffer).setBigUint64(4, seq);
    return m;
  };

  beforeAll(async () => {
    keyId = await createKey(
      'ECC_NIST_EDWARDS448',
      signingPolicy('ECC_NIST_EDWARDS448', [
        {
          id: 'reward-claims',
          effect: 'allow',
          conditions: {
            signingAlgorithm: { in: ['ED448_SHAKE_256'] },
            messageType: { in: ['RAW'] },
            format: {
              kind: 'raw',
              length: { min: 48, max: 512 },
              layout: [{ offset: 0, length: 4, equalsHex: '0x51524557' }],
              sequence: { offset: 4, length: 8, mode: 'strictlyIncreasing' },
            },
          },
        },
      ]),
    );
    der = await spki(keyId);
  });

  test('signs payloads in sequence order and refuses a repeated or lower sequence', async () => {
    expect(verifies(der, reward(7n), await sign(keyId, reward(7n), 'ED448_SHAKE_256'))).toBe(true);
    await denied(sign(keyId, reward(7n), 'ED448_SHAKE_256'), 'reward-claims', /SEQUENCE_VIOLATION/);
    await denied(sign(keyId, reward(3n), 'ED448_SHAKE_256'), 'reward-claims', /SEQUENCE_VIOLATION/);
    expect(verifies(der, reward(8n), await sign(keyId, reward(8n), 'ED448_SHAKE_256'))).toBe(true);
  });

  test("refuses another layout, and a payload over the rule's length (the gateway admits 5000 bytes for Ed448)", async () => {
    await denied(sign(keyId, reward(9n, 'XREW'), 'ED448_SHAKE_256'), 'builtin:default-deny', /reward-claims/);
    await denied(sign(keyId, reward(9n, 'QREW', 5000), 'ED448_SHAKE_256'), 'builtin:default-deny', /reward-claims/);
  });
});

describe('a rate limit of N per window', () => {
  const N = 5;
  let keyId: string;
  let der: Uint8Array;

  beforeAll(async () => {
    keyId = await createKey(
      'ECC_NIST_EDWARDS25519',
      signingPolicy('ECC_NIST_EDWARDS25519', [
        { id: 'five-an-hour', effect: 'allow', conditions: { messageType: { in: ['RAW'] } }, rateLimits: [{ count: N, windowSeconds: 3600 }] },
      ]),
    );
    der = await spki(keyId);
  });

  test(`N + 5 concurrent Sign calls give exactly N signatures; the rest are denied`, async () => {
    const messages = Array.from({ length: N + 5 }, (_, i) => new TextEncoder().encode(`payment ${i}`));
    const results = await Promise.allSettled(messages.map((m) => sign(keyId, m, 'ED25519_SHA_512')));
    const signed = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ message: messages[i]!, signature: r.value }] : []));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as SdkError] : []));
    expect(signed).toHaveLength(N);
    for (const s of signed) expect(verifies(der, s.message, s.signature)).toBe(true);
    expect(refused).toHaveLength(5);
    for (const e of refused) {
      expect(e.name).toBe('AccessDeniedException');
      expect(e.message).toMatch(/rule 'five-an-hour', RATE_LIMITED/);
    }
  });

  test('after a restart of every party the budget is still spent', async () => {
    const ids = [...cluster.parties.keys()];
    await Promise.all(ids.map((id) => cluster.kill(id)));
    await cluster.waitConnected((c) => c.length === 0);
    await Promise.all(ids.map((id) => cluster.startParty(id)));
    await cluster.waitConnected((c) => ids.every((id) => c.includes(id)), 20_000);
    await denied(sign(keyId, new TextEncoder().encode('one more'), 'ED25519_SHA_512'), 'five-an-hour', /RATE_LIMITED/);
  });
});

describe('approvals in GrantTokens, and policy revisions through PutKeyPolicy', () => {
  let keyId: string;
  let der: Uint8Array;
  const approved = signingPolicy('ECC_NIST_EDWARDS25519', [
    {
      id: 'approved-payments',
      effect: 'allow',
      conditions: { messageType: { in: ['RAW'] } },
      approvals: { threshold: 1, approvers: ['cfo'], maxAgeSeconds: 600 },
    },
  ]);
  const relaxed = signingPolicy('ECC_NIST_EDWARDS25519', [
    { id: 'small-messages', effect: 'allow', conditions: { messageType: { in: ['RAW'] }, messageBytes: { max: 64 } } },
  ]);
  const payment = new TextEncoder().encode('pay 100 to alice');
  // A Sign approval names the revision the parties enforce (here revision 1, `approved`) and a fresh one-use id.
  const approval = (m: Uint8Array) =>
    createApproval(
      CFO,
      { keyId, message: m, signingAlgorithm: 'ED25519_SHA_512', messageType: 'RAW', policyHash: policyHash(approved) },
      Date.now() + 300_000,
      randomBytes(12).toString('base64url'),
    );
  const changeApproval = (revision: number, previous: object, next: object) =>
    createPolicyChangeApproval(CFO, { keyId, revision, previousHash: policyHash(previous), policyHash: policyHash(next) }, Date.now() + 300_000);

  beforeAll(async () => {
    keyId = await createKey('ECC_NIST_EDWARDS25519', approved);
    der = await spki(keyId);
  });

  test('Sign without GrantTokens is refused; with an approval of this message it signs; an approval of another message does not count', async () => {
    await denied(sign(keyId, payment, 'ED25519_SHA_512'), 'approved-payments', /APPROVALS_REQUIRED\): 0 of 1 required approvals/);
    const token = approval(payment);
    const sig = await sign(keyId, payment, 'ED25519_SHA_512', ['some-real-grant-token', token]);
    expect(verifies(der, payment, sig)).toBe(true);
    // One-use: the same approval again is refused by the signers that counted it (every signer set
    // of this 2-of-3 key contains one), so "pay 100 to alice" is not paid twice.
    await denied(sign(keyId, payment, 'ED25519_SHA_512', [token]), 'approved-payments', /APPROVALS_REQUIRED.*already used/);
    const other = approval(new TextEncoder().encode('pay 1 to alice'));
    await denied(sign(keyId, payment, 'ED25519_SHA_512', [other]), 'approved-payments', /does not verify for this request/);
  });

  test('a changed TuttiSigningPolicy without TuttiSigningPolicyChange is a malformed document', async () => {
    await fails(
      kms.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: keyPolicy(relaxed) })),
      'MalformedPolicyDocumentException',
      /TuttiSigningPolicyChange/,
    );
  });

  test('a revision without the approvals its governance demands is refused, and nothing changes', async () => {
    const before = (await kms.send(new GetKeyPolicyCommand({ KeyId: keyId }))).Policy;
    const change = { revision: 2, previousHash: policyHash(approved), approvals: [] };
    await fails(
      kms.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: keyPolicy(relaxed, change) })),
      'AccessDeniedException',
      /0 of 1 required change approvals/,
    );
    // An approval by someone who is not a governance approver does not count either.
    const mallory = createPolicyChangeApproval(
      approverKey('mallory', 'ed25519'),
      { keyId, revision: 2, previousHash: policyHash(approved), policyHash: policyHash(relaxed) },
      Date.now() + 300_000,
    );
    await fails(
      kms.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: keyPolicy(relaxed, { ...change, approvals: [mallory.replace(':mallory:', ':cfo:')] }) })),
      'AccessDeniedException',
    );
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: keyId }))).Policy).toBe(before);
    await denied(sign(keyId, payment, 'ED25519_SHA_512'), 'approved-payments');
  });

  test('with the approvals every party accepts revision 2; GetKeyPolicy returns it and the parties enforce it', async () => {
    const doc = keyPolicy(relaxed, { revision: 2, previousHash: policyHash(approved), approvals: [changeApproval(2, approved, relaxed)] });
    await kms.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: doc }));
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: keyId }))).Policy).toBe(doc);
    expect(verifies(der, payment, await sign(keyId, payment, 'ED25519_SHA_512'))).toBe(true);
    await denied(sign(keyId, new Uint8Array(65).fill(1), 'ED25519_SHA_512'), 'builtin:default-deny', /small-messages: message of 65 bytes/);
  });

  test('no rollback: the old policy again as revision 2, even approved, is refused', async () => {
    const back = { revision: 2, previousHash: policyHash(relaxed), approvals: [changeApproval(2, relaxed, approved)] };
    await fails(
      kms.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: keyPolicy(approved, back) })),
      'AccessDeniedException',
      /does not follow the current revision 2/,
    );
  });

  test('an AWS-only PutKeyPolicy (no TuttiSigningPolicy) leaves the signing policy as it is', async () => {
    const doc = keyPolicy(undefined);
    await kms.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: doc }));
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: keyId }))).Policy).toBe(doc);
    await denied(sign(keyId, new Uint8Array(65).fill(1), 'ED25519_SHA_512'), 'builtin:default-deny', /small-messages/);
  });

  test('a change needs every party connected: KeyUnavailableException otherwise', async () => {
    const next = signingPolicy('ECC_NIST_EDWARDS25519', [
      { id: 'tiny', effect: 'allow', conditions: { messageType: { in: ['RAW'] }, messageBytes: { max: 8 } } },
    ]);
    const doc = keyPolicy(next, { revision: 3, previousHash: policyHash(relaxed), approvals: [changeApproval(3, relaxed, next)] });
    await cluster.kill('party-3');
    await cluster.waitConnected((c) => !c.includes('party-3'));
    try {
      await fails(kms.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: doc })), 'KeyUnavailableException', /party-3/);
    } finally {
      await cluster.startParty('party-3');
      await cluster.waitConnected((c) => c.includes('party-3'));
    }
    await kms.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: doc }));
    await denied(sign(keyId, new Uint8Array(9), 'ED25519_SHA_512'), 'builtin:default-deny', /tiny/);
  });

  test('CreateKey refuses a signing policy that does not compile, or is for another key spec, naming the problem', async () => {
    const bad = { ...relaxed, rules: [{ id: 'x', effect: 'allow', conditions: { messageType: { in: ['RAW'] } }, chainID: 1 }] };
    await fails(
      kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY', Policy: keyPolicy(bad) })),
      'MalformedPolicyDocumentException',
      /TuttiSigningPolicy is not a valid signing policy: .*chainID/,
    );
    await fails(
      kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS448' as 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY', Policy: keyPolicy(relaxed) })),
      'MalformedPolicyDocumentException',
      /is for ECC_NIST_EDWARDS25519, but the key is ECC_NIST_EDWARDS448/,
    );
  });
});

describe('a key created without TuttiSigningPolicy', () => {
  test('signs blind as AWS (RAW messages with its algorithm, here), and its (frozen) default policy cannot be revised', async () => {
    const out = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }));
    const keyId = out.KeyMetadata!.KeyId!;
    const der = await spki(keyId);
    const m = new Uint8Array(4096).fill(3);
    expect(verifies(der, m, await sign(keyId, m, 'ED25519_SHA_512'))).toBe(true);
    const next = signingPolicy('ECC_NIST_EDWARDS25519', [{ id: 'any', effect: 'allow', conditions: { messageType: { in: ['RAW'] } } }]);
    const { defaultSigningPolicy } = await import('../../policies/default-policy.ts');
    const current = defaultSigningPolicy('ECC_NIST_EDWARDS25519', ['ED25519_SHA_512', 'ED25519_PH_SHA_512']);
    await fails(
      kms.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: keyPolicy(next, { revision: 2, previousHash: policyHash(current), approvals: [] }) })),
      'AccessDeniedException',
      /0 of 1 required change approvals/,
    );
  });
});

describe('an Ethereum key (secp256k1, DKLs23): EIP-1559 transfers to one address under a cap, and one kind of EIP-712 mail', () => {
  const PAYEE = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
  const CAP = 10n ** 18n;
  const transfers = {
    id: 'capped-transfers',
    effect: 'allow',
    conditions: {
      signingAlgorithm: { in: ['ECDSA_KECCAK_256'] },
      messageType: { in: ['RAW'] },
      format: {
        kind: 'evmTransaction',
        txTypes: { in: ['eip1559'] },
        chainId: { in: ['1'] },
        to: { in: [PAYEE] },
        value: { max: CAP.toString() },
        data: { allowEmpty: true, maxBytes: 0 },
      },
    },
  };
  const mail = {
    id: 'mail',
    effect: 'allow',
    conditions: {
      signingAlgorithm: { in: ['ECDSA_KECCAK_256'] },
      messageType: { in: ['RAW'] },
      format: {
        kind: 'eip712',
        domain: { fields: ['name', 'version', 'chainId', 'verifyingContract'], chainId: { in: ['1'] } },
        primaryType: { in: ['Mail'] },
      },
    },
  };
  const tx = (over: Partial<TransactionSerializableEIP1559> = {}): TransactionSerializableEIP1559 => ({
    type: 'eip1559',
    chainId: 1,
    nonce: 12,
    to: PAYEE,
    value: CAP / 2n,
    maxPriorityFeePerGas: 10n ** 9n,
    maxFeePerGas: 3n * 10n ** 10n,
    gas: 21_000n,
    ...over,
  });
  const bytes = (h: Hex) => Buffer.from(h.slice(2), 'hex');
  let keyId: string;
  let address: Hex;
  let der: Uint8Array;

  beforeAll(async () => {
    keyId = await createKey('ECC_SECG_P256K1', signingPolicy('ECC_SECG_P256K1', [transfers, mail]));
    der = await spki(keyId);
    address = ethAddress(der);
  });

  test("signs an EIP-1559 transfer to the address under the cap; viem recovers the key's address from the signed transaction", async () => {
    const unsigned = serializeTransaction(tx());
    const sig = await sign(keyId, bytes(unsigned), 'ECDSA_KECCAK_256');
    const signed = serializeTransaction(tx(), await ethSignature(sig, keccak256(unsigned), address));
    expect(await recoverTransactionAddress({ serializedTransaction: signed as `0x02${string}` })).toBe(address);
  });

  test.each([
    ['another address', tx({ to: '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc' })],
    ['another chain', tx({ chainId: 8453 })],
    ['a larger value', tx({ value: CAP + 1n })],
    ['calldata', tx({ data: '0xa9059cbb' })],
  ])('refuses %s', async (_what, t) => {
    await denied(sign(keyId, bytes(serializeTransaction(t)), 'ECDSA_KECCAK_256'), 'builtin:default-deny', /NO_MATCHING_ALLOW/);
  });

  test("refuses the allowed transaction's hash as a raw digest (DIGEST is never allowed unless a rule names it)", async () => {
    const hash = bytes(keccak256(serializeTransaction(tx())));
    for (const algorithm of ['ECDSA_KECCAK_256', 'ECDSA_SHA_256']) {
      await denied(sign(keyId, hash, algorithm, undefined, 'DIGEST'), 'builtin:I-3');
    }
    // Nor as RAW bytes under ECDSA_KECCAK_256 (I-1): 32 bytes that are no Ethereum format.
    await denied(sign(keyId, hash, 'ECDSA_KECCAK_256'), 'builtin:I-1');
  });

  test("EIP-712 typed data (RFC 8785 JSON) is signed as the EIP-712 digest: ecrecover (viem) gives the key's address; other typed data is refused", async () => {
    const typed = {
      domain: { chainId: 1, name: 'Ether Mail', verifyingContract: '0xcccccccccccccccccccccccccccccccccccccccc', version: '1' },
      message: {
        contents: 'Hello, Bob!',
        from: { name: 'Cow', wallet: '0xcd2a3d9f938e13cd947ec05abc7fe734df8dd826' },
        to: { name: 'Bob', wallet: '0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' },
      },
      primaryType: 'Mail',
      types: {
        EIP712Domain: [
          { name: 'name', type: 'string' },
          { name: 'version', type: 'string' },
          { name: 'chainId', type: 'uint256' },
          { name: 'verifyingContract', type: 'address' },
        ],
        Mail: [
          { name: 'from', type: 'Person' },
          { name: 'to', type: 'Person' },
          { name: 'contents', type: 'string' },
        ],
        Person: [
          { name: 'name', type: 'string' },
          { name: 'wallet', type: 'address' },
        ],
      },
    } as const;
    const json = new TextEncoder().encode(canonicalize(typed));
    const sig = await sign(keyId, json, 'ECDSA_KECCAK_256');
    const digest = hashTypedData(typed as unknown as Parameters<typeof hashTypedData>[0]);
    const { r, s, yParity } = await ethSignature(sig, digest, address);
    expect(await recoverTypedDataAddress({ ...(typed as unknown as Parameters<typeof hashTypedData>[0]), signature: { r, s, yParity } })).toBe(address);
    // Verify reads the same JSON the same way.
    expect(
      (await kms.send(new VerifyCommand({ KeyId: keyId, Message: json, Signature: sig, SigningAlgorithm: 'ECDSA_KECCAK_256' as SigningAlgorithmSpec })))
        .SignatureValid,
    ).toBe(true);
    const onBase = new TextEncoder().encode(canonicalize({ ...typed, domain: { ...typed.domain, chainId: 8453 } }));
    await denied(sign(keyId, onBase, 'ECDSA_KECCAK_256'), 'builtin:default-deny', /NO_MATCHING_ALLOW/);
  });
});

describe("each party's audit log", () => {
  type Row = {
    seq: number;
    at: number;
    key_id: string;
    session: string;
    event: string;
    decision: string;
    code: string;
    rule: string | null;
    reasons: string;
    detail: string;
    request_digest: string;
    prev_hash: string;
    hash: string;
  };
  const readLog = (partyId: string): Row[] => {
    const db = new Sqlite(paths.sharesDb(paths.partyDir(cluster.dataDir, partyId)), { readonly: true });
    try {
      return db.prepare<[], Row>('SELECT * FROM audit_log ORDER BY seq').all();
    } finally {
      db.close();
    }
  };

  test('is an unbroken hash chain that holds every decision the party took', async () => {
    for (const partyId of ['party-1', 'party-2', 'party-3']) {
      const rows = readLog(partyId);
      // The chain, recomputed from the documented formula (services/storage/policy-store.ts).
      let prev = '0'.repeat(64);
      rows.forEach((r, i) => {
        expect(r.seq).toBe(i + 1);
        expect(r.prev_hash).toBe(prev);
        const fields = [
          'tutti-audit/1',
          r.seq,
          r.at,
          r.key_id,
          r.session,
          r.event,
          r.decision,
          r.code,
          r.rule,
          JSON.parse(r.reasons),
          JSON.parse(r.detail),
          r.request_digest,
          r.prev_hash,
        ];
        expect(createHash('sha256').update(canonicalize(fields), 'utf8').digest('hex')).toBe(r.hash);
        prev = r.hash;
      });
      // Every key this party holds was bound to its policy, and every Sign that reached it was decided
      // and logged: the coordinator always picks parties 1 and 2 (the first t connected) to sign.
      for (const [keyId, tally] of signCalls) {
        const signs = rows.filter((r) => r.key_id === keyId && r.event === 'sign');
        expect(rows.filter((r) => r.key_id === keyId && r.event === 'policy-bind' && r.decision === 'allow')).toHaveLength(1);
        if (partyId === 'party-3') {
          expect(signs).toHaveLength(0);
          continue;
        }
        expect({ keyId, allowed: signs.filter((r) => r.decision === 'allow').length }).toEqual({ keyId, allowed: tally.allowed });
        expect({ keyId, total: signs.length }).toEqual({ keyId, total: tally.allowed + tally.denied });
        for (const r of signs) {
          expect(r.rule).not.toBeNull();
          expect(JSON.parse(r.detail)).toMatchObject({ signingAlgorithm: expect.any(String), messageSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
        }
      }
      // Revisions are logged too: two accepted on every party (revision 2, then 3).
      expect(rows.filter((r) => r.event === 'policy-revision' && r.code === 'REVISION_ACCEPTED')).toHaveLength(2);
    }
  });

  test("decisions are counted in each party's metrics", async () => {
    const port = ((await cluster.parties.get('party-1')!.ready) as { metricsPort: number }).metricsPort;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    // The party restarted during the rate-limit test: counts since then.
    expect(text).toMatch(/tutti_policy_decisions_total\{[^}]*decision="deny"[^}]*code="APPROVALS_REQUIRED"[^}]*rule="approved-payments"[^}]*\} [1-9]/);
    expect(text).toMatch(/tutti_policy_decisions_total\{[^}]*decision="allow"[^}]*code="ALLOW"[^}]*\} [1-9]/);
  });
});
