// Issue 12, drop-in for Solana: @solana/keychain-aws-kms (AwsKmsSigner: Sign RAW ED25519_SHA_512 of
// the serialized message, 64-byte signature) pointed at a running cluster through the AWS SDK's
// standard endpoint variable (AWS_ENDPOINT_URL_KMS; the package has no endpoint option), with an
// Ed25519 key created without a signing policy (blind signing as on AWS, docs/policies.md). A
// transfer built and signed with @solana/kit verifies with kit's verifySignature (WebCrypto) and
// node:crypto. On the same key, ED25519_PH_SHA_512 (a 64-byte DIGEST, as AWS) verifies with
// noble's ed25519ph and an RFC 8032 reference verifier.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { CreateKeyCommand, GetPublicKeyCommand, SignCommand, VerifyCommand, type KeySpec, type KMSClient } from '@aws-sdk/client-kms';
import { AwsKmsSigner } from '@solana/keychain-aws-kms';
import {
  AccountRole,
  address,
  appendTransactionMessageInstruction,
  assertIsFullySignedTransaction,
  blockhash,
  createTransactionMessage,
  getAddressDecoder,
  getCompiledTransactionMessageDecoder,
  getPublicKeyFromAddress,
  getTransactionDecoder,
  getTransactionEncoder,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  verifySignature,
  type SignatureBytes,
  type TransactionSigner,
} from '@solana/kit';
import { ed25519ph } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { REGION, TEST_CREDENTIALS, TestCluster } from '../support/cluster.ts';
import { referenceEd25519phVerify } from '../support/ed25519ph-reference.ts';

jest.setTimeout(180_000);

const SYSTEM_PROGRAM = address('11111111111111111111111111111111');
let cluster: TestCluster;
let kms: KMSClient;
let keyId: string;
let spki: Uint8Array;
const savedEndpoint = process.env.AWS_ENDPOINT_URL_KMS;

beforeAll(async () => {
  cluster = await new TestCluster().start();
  kms = cluster.client();
  keyId = (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519' as KeySpec, KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!;
  spki = (await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!;
  // What a user switching an existing AWS KMS signer to Tutti sets: the SDK's endpoint for KMS.
  process.env.AWS_ENDPOINT_URL_KMS = cluster.endpoint;
});

afterAll(async () => {
  if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_KMS;
  else process.env.AWS_ENDPOINT_URL_KMS = savedEndpoint;
  await cluster?.stop();
});

describe('@solana/keychain-aws-kms 0.2.1 against a key created without a signing policy', () => {
  test('signs a SOL transfer that @solana/kit and node:crypto verify', async () => {
    const pub = spki.subarray(12);
    const owner = getAddressDecoder().decode(pub);
    const signer = new AwsKmsSigner({ keyId, publicKey: owner, region: REGION, credentials: TEST_CREDENTIALS });
    expect(signer.address).toBe(owner);
    const to = getAddressDecoder().decode(new Uint8Array(32).fill(7));
    const data = new Uint8Array(12);
    new DataView(data.buffer).setUint32(0, 2, true); // SystemInstruction::Transfer
    new DataView(data.buffer).setBigUint64(4, 1_000_000n, true);
    const feePayer = signer as unknown as TransactionSigner;
    const message = pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayerSigner(feePayer, m),
      (m) =>
        setTransactionMessageLifetimeUsingBlockhash({ blockhash: blockhash('EkSnNWid2cvwEVnVx9aBqawnmiCNiDgp3gUdkDPTKN1N'), lastValidBlockHeight: 100n }, m),
      (m) =>
        appendTransactionMessageInstruction(
          {
            programAddress: SYSTEM_PROGRAM,
            data,
            accounts: [
              { address: owner, role: AccountRole.WRITABLE_SIGNER, signer: feePayer },
              { address: to, role: AccountRole.WRITABLE },
            ],
          } as Parameters<typeof appendTransactionMessageInstruction>[0],
          m,
        ),
    );
    const signed = await signTransactionMessageWithSigners(message);
    assertIsFullySignedTransaction(signed);
    // The wire transaction decodes back, with the owner as fee payer and one System transfer.
    const wire = getTransactionEncoder().encode(signed);
    const decoded = getTransactionDecoder().decode(wire);
    const compiled = getCompiledTransactionMessageDecoder().decode(decoded.messageBytes);
    expect(compiled.staticAccounts[0]).toBe(owner);
    expect((compiled as unknown as { instructions: unknown[] }).instructions).toHaveLength(1);
    const signature = decoded.signatures[owner]!;
    expect(signature).toHaveLength(64);
    expect(await verifySignature(await getPublicKeyFromAddress(owner), signature as SignatureBytes, decoded.messageBytes)).toBe(true);
    expect(
      nodeVerify(null, decoded.messageBytes as unknown as Uint8Array, createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }), signature),
    ).toBe(true);
    // A tampered message does not verify.
    const tampered = Uint8Array.from(decoded.messageBytes as unknown as Uint8Array);
    tampered[tampered.length - 1]! ^= 1;
    expect(await verifySignature(await getPublicKeyFromAddress(owner), signature as SignatureBytes, tampered)).toBe(false);
  });

  test('ED25519_PH_SHA_512: a 64-byte DIGEST is signed as Ed25519ph of the digest (AWS hashes it again)', async () => {
    const digest = sha512(new TextEncoder().encode('a document hashed by the caller'));
    const { Signature } = await kms.send(new SignCommand({ KeyId: keyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ED25519_PH_SHA_512' }));
    const pub = spki.subarray(12);
    expect(ed25519ph.verify(Signature!, digest, pub)).toBe(true);
    expect(referenceEd25519phVerify(Signature!, digest, pub)).toBe(true);
    const verified = await kms.send(
      new VerifyCommand({ KeyId: keyId, Message: digest, MessageType: 'DIGEST', Signature, SigningAlgorithm: 'ED25519_PH_SHA_512' }),
    );
    expect(verified.SignatureValid).toBe(true);
  });
});
