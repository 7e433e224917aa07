// Issue 12, drop-in: published Ethereum signers that wrap AWS KMS, pointed at a running cluster by
// changing only the endpoint, with a secp256k1 key created as a new user would (CreateKey, no
// TuttiSigningPolicy: blind signing as on AWS, docs/policies.md). They hash themselves and send
// Sign{MessageType: DIGEST, SigningAlgorithm: ECDSA_SHA_256}. For each: an EIP-1559 transaction,
// personal_sign (EIP-191) and, where the package offers it, EIP-712 typed data; the address each
// library recovers (ethers v6 and viem, independently of the signer's own code) is the key's
// address from GetPublicKey. A key WITH a signing policy keeps refusing blind DIGESTs (I-3), and
// with the preimage in GrantTokens (services/client/preimage.ts PreimageBook on the signer's
// KMSClient; docs/kms-compatibility.md "Policy-checked DIGEST") signs exactly what its policy allows.
//
//   @rumblefishdev/eth-signer-kms   ethers v6 AbstractSigner (transaction, message, typed data)
//   aws-kms-ethers-signer           ethers v5 Signer (transaction, message; it has no _signTypedData)
//   aws-kms-signer                  the KMS signer under aws-kms-ethers-signer, as a viem account (toAccount)
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { CreateKeyCommand, GetPublicKeyCommand, KMSClient, SignCommand, type KeySpec } from '@aws-sdk/client-kms';
import * as rumblefish from '@rumblefishdev/eth-signer-kms';
import { KmsEthersSigner } from 'aws-kms-ethers-signer';
import { KmsSigner } from 'aws-kms-signer';
import { Transaction as EthersTransaction, verifyMessage as ethersVerifyMessage, verifyTypedData as ethersVerifyTypedData } from 'ethers';
import {
  getAddress,
  hashMessage,
  hashTypedData,
  hexToBytes,
  keccak256,
  recoverMessageAddress,
  recoverTransactionAddress,
  recoverTypedDataAddress,
  serializeSignature,
  serializeTransaction,
  type Hex,
  type TransactionSerializableEIP1559,
} from 'viem';
import { toAccount } from 'viem/accounts';
import { ACCOUNT, REGION, TEST_CREDENTIALS, TestCluster } from '../support/cluster.ts';
import { ethAddress } from '../support/ecdsa.ts';
import { PreimageBook, eip191Preimage } from '../../services/client/preimage.ts';
import { preimageGrantTokens } from '../../policies/preimage.ts';

jest.setTimeout(300_000);

const ROOT = { Sid: 'root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };
const TO = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';

let cluster: TestCluster;
let kms: KMSClient;
/** What every one of these libraries takes: an ordinary KMSClientConfig with only the endpoint changed. */
let clientConfig: { endpoint: string; region: string; credentials: typeof TEST_CREDENTIALS; maxAttempts: number };
let keyId: string;
let address: Hex;

const tx = (nonce: number): TransactionSerializableEIP1559 => ({
  type: 'eip1559',
  chainId: 11155111,
  nonce,
  to: TO,
  value: 10n ** 15n,
  gas: 21000n,
  maxFeePerGas: 3n * 10n ** 10n,
  maxPriorityFeePerGas: 10n ** 9n,
});
const typed = {
  domain: { name: 'Ether Mail', version: '1', chainId: 1, verifyingContract: '0xcccccccccccccccccccccccccccccccccccccccc' as Hex },
  types: {
    Person: [
      { name: 'name', type: 'string' },
      { name: 'wallet', type: 'address' },
    ],
    Mail: [
      { name: 'from', type: 'Person' },
      { name: 'to', type: 'Person' },
      { name: 'contents', type: 'string' },
    ],
  },
  primaryType: 'Mail' as const,
  message: {
    from: { name: 'Cow', wallet: '0xcd2a3d9f938e13cd947ec05abc7fe734df8dd826' as Hex },
    to: { name: 'Bob', wallet: '0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' as Hex },
    contents: 'Hello, Bob!',
  },
};

/** ethers v6's and viem's readings of a signed EIP-1559 transaction: sender and fields. */
async function checkSignedTransaction(signed: string, nonce: number): Promise<void> {
  const parsed = EthersTransaction.from(signed);
  expect(parsed.from).toBe(address);
  expect(parsed.to?.toLowerCase()).toBe(TO);
  expect(parsed.nonce).toBe(nonce);
  expect(parsed.type).toBe(2);
  expect(await recoverTransactionAddress({ serializedTransaction: signed as `0x02${string}` })).toBe(address);
}

beforeAll(async () => {
  cluster = await new TestCluster().start();
  kms = cluster.client();
  clientConfig = { endpoint: cluster.endpoint, region: REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 };
  // As a new user would: no Policy at all.
  keyId = (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1' as KeySpec, KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.KeyId!;
  address = getAddress(ethAddress((await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!));
});

afterAll(async () => {
  await cluster?.stop();
});

describe('Ethereum signers that wrap AWS KMS, against a key created without a signing policy', () => {
  test('@rumblefishdev/eth-signer-kms 4.3.1 (ethers v6): EIP-1559 transaction, personal_sign, EIP-712', async () => {
    const signer = await rumblefish.KMSSigner.create(null as never, keyId, new KMSClient(clientConfig));
    expect(await signer.getAddress()).toBe(address);
    const t = tx(0);
    const signed = await signer.signTransaction({
      type: 2,
      chainId: t.chainId,
      nonce: t.nonce,
      to: t.to,
      value: t.value,
      gasLimit: t.gas,
      maxFeePerGas: t.maxFeePerGas,
      maxPriorityFeePerGas: t.maxPriorityFeePerGas,
    });
    await checkSignedTransaction(signed, 0);

    const message = 'Sign in to example.com\nNonce: 0123456789abcdef';
    const msgSig = await signer.signMessage(message);
    expect(ethersVerifyMessage(message, msgSig)).toBe(address);
    expect(await recoverMessageAddress({ message, signature: msgSig as Hex })).toBe(address);

    const { EIP712Domain: _omit, ...types } = { EIP712Domain: undefined, ...typed.types };
    const typedSig = await signer.signTypedData(typed.domain, types, typed.message);
    expect(ethersVerifyTypedData(typed.domain, types, typed.message, typedSig)).toBe(address);
    expect(await recoverTypedDataAddress({ ...typed, signature: typedSig as Hex })).toBe(address);
  });

  test('aws-kms-ethers-signer 0.1.3 (ethers v5): EIP-1559 transaction, personal_sign', async () => {
    const signer = new KmsEthersSigner({ keyId, kmsClientConfig: clientConfig });
    expect(await signer.getAddress()).toBe(address);
    const t = tx(1);
    const signed = await signer.signTransaction({
      type: 2,
      chainId: t.chainId,
      nonce: t.nonce,
      to: TO,
      value: t.value,
      gasLimit: t.gas,
      maxFeePerGas: t.maxFeePerGas,
      maxPriorityFeePerGas: t.maxPriorityFeePerGas,
    });
    await checkSignedTransaction(signed, 1);

    const message = 'hello from ethers v5';
    // This package returns r ‖ s ‖ v as hex without the 0x prefix (its own choice, as against AWS).
    const raw = await signer.signMessage(message);
    const msgSig = raw.startsWith('0x') ? raw : `0x${raw}`;
    expect(ethersVerifyMessage(message, msgSig)).toBe(address);
    expect(await recoverMessageAddress({ message, signature: msgSig as Hex })).toBe(address);
  });

  test('aws-kms-signer 0.5.3 as a viem account: EIP-1559 transaction, personal_sign, EIP-712', async () => {
    const kmsSigner = new KmsSigner(keyId, clientConfig);
    expect(getAddress(`0x${(await kmsSigner.getAddress()).toString().replace(/^0x/, '')}`)).toBe(address);
    // viem hashes; the AWS KMS signer signs the 32-byte hash as a DIGEST and finds v.
    const signHash = async (hash: Hex): Promise<Hex> => {
      const sig = await kmsSigner.sign(Buffer.from(hash.slice(2), 'hex'));
      return serializeSignature({ r: `0x${sig.r.toString('hex')}`, s: `0x${sig.s.toString('hex')}`, yParity: sig.v - 27 });
    };
    const account = toAccount({
      address,
      signMessage: ({ message }) => signHash(hashMessage(message)),
      signTypedData: (typedData) => signHash(hashTypedData(typedData as Parameters<typeof hashTypedData>[0])),
      signTransaction: async (transaction, options) => {
        const serializer = options?.serializer ?? serializeTransaction;
        const sig = await kmsSigner.sign(Buffer.from(keccak256(await serializer(transaction)).slice(2), 'hex'));
        return serializer(transaction, { r: `0x${sig.r.toString('hex')}`, s: `0x${sig.s.toString('hex')}`, yParity: sig.v - 27 });
      },
    });
    const signed = await account.signTransaction(tx(2));
    await checkSignedTransaction(signed, 2);

    const message = 'hello from viem';
    const msgSig = await account.signMessage({ message });
    expect(await recoverMessageAddress({ message, signature: msgSig })).toBe(address);
    expect(ethersVerifyMessage(message, msgSig)).toBe(address);

    const typedSig = await account.signTypedData(typed);
    expect(await recoverTypedDataAddress({ ...typed, signature: typedSig })).toBe(address);
    expect(ethersVerifyTypedData(typed.domain, typed.types, typed.message, typedSig)).toBe(address);
  });
});

describe('a key WITH a signing policy keeps refusing blind DIGESTs', () => {
  let guarded: string;
  beforeAll(async () => {
    const policy = {
      policyLanguage: 'tutti-signing-policy/1',
      keyBinding: { keySpec: 'ECC_SECG_P256K1' },
      defaultEffect: 'deny',
      approvers: [{ id: 'gov', scheme: 'ed25519', publicKey: '0xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a' }],
      governance: { changeApprovals: { threshold: 1, approvers: ['gov'] } },
      rules: [
        {
          id: 'sepolia-to-one-address',
          effect: 'allow',
          conditions: {
            signingAlgorithm: { in: ['ECDSA_KECCAK_256'] },
            format: { kind: 'evmTransaction', txTypes: { in: ['eip1559'] }, chainId: { in: ['11155111'] }, to: { in: [TO] } },
          },
        },
      ],
    };
    guarded = (
      await kms.send(
        new CreateKeyCommand({
          KeySpec: 'ECC_SECG_P256K1' as KeySpec,
          KeyUsage: 'SIGN_VERIFY',
          Policy: JSON.stringify({ Version: '2012-10-17', Statement: [ROOT], TuttiSigningPolicy: policy }),
        }),
      )
    ).KeyMetadata!.KeyId!;
  });

  test('the same signer gets AccessDeniedException naming I-3', async () => {
    const signer = new KmsEthersSigner({ keyId: guarded, kmsClientConfig: clientConfig });
    await expect(signer.signMessage('hello')).rejects.toMatchObject({ name: 'AccessDeniedException', message: expect.stringMatching(/builtin:I-3/) });
  });

  test('with the preimage in GrantTokens, the unmodified ethers v6 signer signs what the policy allows and nothing else', async () => {
    const client = new KMSClient(clientConfig);
    const book = new PreimageBook().attach(client);
    const signer = await rumblefish.KMSSigner.create(null as never, guarded, client);
    const request = (t: TransactionSerializableEIP1559) => ({
      type: 2,
      chainId: t.chainId,
      nonce: t.nonce,
      to: t.to,
      value: t.value,
      gasLimit: t.gas,
      maxFeePerGas: t.maxFeePerGas,
      maxPriorityFeePerGas: t.maxPriorityFeePerGas,
    });
    // Allowed: a Sepolia EIP-1559 transfer to TO. The signer sends keccak256 as an ECDSA_SHA_256 DIGEST; the book adds the transaction.
    book.add(hexToBytes(serializeTransaction(tx(7))));
    const signed = await signer.signTransaction(request(tx(7)));
    expect(EthersTransaction.from(signed).from).toBe(await signer.getAddress());
    expect(await recoverTransactionAddress({ serializedTransaction: signed as `0x02${string}` })).toBe(await signer.getAddress());
    // Another recipient: its preimage is read, and the policy refuses it.
    const other = { ...tx(8), to: '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc' as Hex };
    book.add(hexToBytes(serializeTransaction(other)));
    await expect(signer.signTransaction(request(other))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringMatching(/NO_MATCHING_ALLOW/),
    });
    // A personal message: not a format this policy names.
    book.add(eip191Preimage('hello'));
    await expect(signer.signMessage('hello')).rejects.toMatchObject({ name: 'AccessDeniedException', message: expect.stringMatching(/NO_MATCHING_ALLOW/) });
    // The allowed transaction's preimage attached to another digest: every party re-hashes, and refuses.
    const allowed = hexToBytes(serializeTransaction(tx(9)));
    await expect(
      kms.send(
        new SignCommand({
          KeyId: guarded,
          Message: hexToBytes(keccak256(hexToBytes(serializeTransaction(other)))),
          MessageType: 'DIGEST',
          SigningAlgorithm: 'ECDSA_SHA_256',
          GrantTokens: preimageGrantTokens(allowed, 'keccak256'),
        }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDeniedException', message: expect.stringMatching(/does not hash/) });
  });
});
