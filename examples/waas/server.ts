// A tiny wallet backend for the embedded party (docs/waas.md, README "Wallet as a service"): it
// registers the browser's device party at the gateway, creates a 2-of-2 device+server Ethereum key
// whose signing policy allows small EIP-1559 payments on Sepolia, and asks Tutti to sign the
// transactions the page requests. The backend holds AWS-style credentials for the gateway; the
// page never sees them. The device's share never leaves the browser, the server's never leaves its
// party daemon, and both parties check the policy themselves.
//
//   TUTTI_ENDPOINT=http://127.0.0.1:4599 TUTTI_SERVER_PARTY=party-1 \
//   AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… node --import tsx examples/waas/server.ts
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import express, { type Request, type Response } from 'express';
import { CreateKeyCommand, GetPublicKeyCommand, KMSClient, SignCommand, type SigningAlgorithmSpec } from '@aws-sdk/client-kms';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { serializeTransaction, type TransactionSerializableEIP1559 } from 'viem';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac } from 'node:crypto';
import { buildBrowser } from '../../packages/party-client/build.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The hash @smithy/signature-v4 asks for, from node:crypto. */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData) => (typeof d === 'string' ? d : ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d));
class Sha256 {
  private readonly h;
  constructor(secret?: SourceData) {
    this.h = secret ? createHmac('sha256', bytes(secret)) : createHash('sha256');
  }
  update(data: SourceData): void {
    this.h.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.h.digest()));
  }
}

export type WalletBackendOptions = {
  /** The gateway's KMS endpoint, e.g. http://127.0.0.1:4599 */
  endpoint: string;
  /** Where devices connect: ws(s)://gateway/parties (default: the endpoint's host, /parties). */
  partiesUrl?: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The daemon party that holds the server's share. */
  serverParty: string;
  accountId: string;
  port?: number;
  /** Chain the policy allows (default Sepolia) and the most a payment may move, in wei. */
  chainId?: number;
  maxValueWei?: bigint;
};

/** The key's signing policy: EIP-1559 payments (no calldata) on one chain, up to maxValueWei; everything else denied. */
export function paymentPolicy(chainId: number, maxValueWei: bigint, backendApproverKey: Uint8Array): object {
  return {
    policyLanguage: 'tutti-signing-policy/1',
    keyBinding: { keySpec: 'ECC_SECG_P256K1' },
    defaultEffect: 'deny',
    approvers: [{ id: 'wallet-backend', scheme: 'ed25519', publicKey: `0x${bytesToHex(backendApproverKey)}` }],
    governance: { changeApprovals: { threshold: 1, approvers: ['wallet-backend'] } },
    rules: [
      {
        id: 'small-payments',
        effect: 'allow',
        conditions: {
          signingAlgorithm: { in: ['ECDSA_KECCAK_256'] },
          format: {
            kind: 'evmTransaction',
            txTypes: { in: ['eip1559'] },
            chainId: { in: [String(chainId)] },
            value: { max: maxValueWei.toString() },
            data: { allowEmpty: true, maxBytes: 0 },
          },
        },
      },
    ],
  };
}

/** The Ethereum address of an uncompressed secp256k1 public key. */
export function addressOf(uncompressed: Uint8Array): `0x${string}` {
  return `0x${bytesToHex(keccak_256(uncompressed.subarray(1)).subarray(-20))}`;
}

export async function startWalletBackend(o: WalletBackendOptions): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const kms = new KMSClient({ endpoint: o.endpoint, region: o.region, credentials: o.credentials, maxAttempts: 1 });
  const partiesUrl = o.partiesUrl ?? o.endpoint.replace(/^http/, 'ws') + '/parties';
  const chainId = o.chainId ?? 11155111;
  const maxValueWei = o.maxValueWei ?? 10n ** 16n; // 0.01 ETH
  // The policy's change approver: a real backend keeps this key in its HSM; here it lives for the process.
  const approverKey = ed25519.getPublicKey(ed25519.utils.randomSecretKey());
  const keys = new Map<string, { publicKey: Uint8Array; address: `0x${string}` }>();

  // RegisterDeviceParty is a Tutti extension the AWS SDK does not know: a SigV4-signed JSON call.
  const signer = new SignatureV4({ credentials: o.credentials, region: o.region, service: 'kms', sha256: Sha256 });
  async function tutti(target: string, body: object): Promise<{ status: number; json: Record<string, unknown> }> {
    const u = new URL(o.endpoint);
    const req = await signer.sign({
      method: 'POST',
      protocol: u.protocol,
      hostname: u.hostname,
      ...(u.port ? { port: Number(u.port) } : {}),
      path: '/',
      query: {},
      headers: { host: u.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${target}` },
      body: JSON.stringify(body),
    });
    const res = await fetch(`${o.endpoint}/`, { method: 'POST', headers: req.headers as Record<string, string>, body: req.body as string });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  const app = express();
  app.use(express.json({ limit: '64kb' }));
  const fail = (res: Response, e: unknown) => {
    const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    res.status(err.$metadata?.httpStatusCode ?? 500).json({ error: err.name ?? 'Error', message: err.message ?? String(e) });
  };

  // The page and its bundle (the embedded party + web/app.ts), built once at start.
  const bundle = await buildBrowser({ entry: join(here, 'web/app.ts'), outfile: join(here, 'web/dist/app.js'), minify: true });
  const bundleBytes = Object.values(bundle.metafile!.outputs)[0]!.bytes;
  app.get('/', (_req, res) => res.sendFile(join(here, 'web/index.html')));
  app.get('/app.js', (_req, res) => res.type('text/javascript').sendFile(join(here, 'web/dist/app.js')));
  app.get('/api/config', (_req, res) => res.json({ partiesUrl, chainId, maxValueWei: maxValueWei.toString(), bundleBytes }));

  // 1. The device made its identity; the backend registers it (authenticated: the backend's credentials).
  app.post('/api/devices', async (req: Request, res: Response) => {
    const { partyId, signPublic, kexPublic } = req.body as Record<string, string>;
    const r = await tutti('RegisterDeviceParty', { PartyId: partyId, SignPublic: signPublic, KexPublic: kexPublic });
    res.status(r.status).json(r.json);
  });

  // 2. A 2-of-2 key of this device and the server party, with the payment policy.
  app.post('/api/keys', async (req: Request, res: Response) => {
    try {
      const { partyId } = req.body as { partyId: string };
      const policy = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Sid: 'root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${o.accountId}:root` }, Action: 'kms:*', Resource: '*' }],
        TuttiSigningPolicy: paymentPolicy(chainId, maxValueWei, approverKey),
      });
      const created = await kms.send(
        new CreateKeyCommand({
          KeySpec: 'ECC_SECG_P256K1',
          KeyUsage: 'SIGN_VERIFY',
          Policy: policy,
          Description: `wallet of ${partyId}`,
          Tags: [
            { TagKey: 'tutti:parties', TagValue: `${o.serverParty},${partyId}` },
            { TagKey: 'tutti:threshold', TagValue: '2' },
          ],
        }),
      );
      const keyId = created.KeyMetadata!.KeyId!;
      const pub = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
      const publicKey = pub.PublicKey!.subarray(-65);
      const address = addressOf(publicKey);
      keys.set(keyId, { publicKey, address });
      res.json({ keyId, address });
    } catch (e) {
      fail(res, e);
    }
  });

  // 3. An EIP-1559 payment: the parties read the transaction itself (RAW, ECDSA_KECCAK_256) and each applies the policy.
  app.post('/api/sign', async (req: Request, res: Response) => {
    try {
      const { keyId, to, valueWei, nonce } = req.body as { keyId: string; to: `0x${string}`; valueWei: string; nonce?: number };
      const key = keys.get(keyId);
      if (!key) return res.status(404).json({ error: 'NotFoundException', message: `no key ${keyId} made by this backend` });
      const tx: TransactionSerializableEIP1559 = {
        type: 'eip1559',
        chainId,
        nonce: nonce ?? 0,
        to,
        value: BigInt(valueWei),
        gas: 21000n,
        maxFeePerGas: 30_000_000_000n,
        maxPriorityFeePerGas: 1_000_000_000n,
      };
      const unsigned = hexToBytes(serializeTransaction(tx).slice(2));
      const out = await kms.send(
        new SignCommand({ KeyId: keyId, Message: unsigned, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_KECCAK_256' as SigningAlgorithmSpec }),
      );
      // DER → (r, s, yParity): the recovery bit is the one that gives back the key's own public key.
      const hash = keccak_256(unsigned);
      const sig = secp256k1.Signature.fromBytes(out.Signature!, 'der');
      const want = secp256k1.Point.fromBytes(key.publicKey);
      const yParity = [0, 1].find((b) => sig.addRecoveryBit(b).recoverPublicKey(hash).equals(want));
      if (yParity === undefined) throw new Error('the signature does not recover to the key');
      const signed = serializeTransaction(tx, { r: `0x${sig.r.toString(16).padStart(64, '0')}`, s: `0x${sig.s.toString(16).padStart(64, '0')}`, yParity });
      res.json({ signedTransaction: signed, hash: `0x${bytesToHex(keccak_256(hexToBytes(signed.slice(2))))}` });
    } catch (e) {
      fail(res, e);
    }
  });

  const server = createServer(app);
  await new Promise<void>((r) => server.listen(o.port ?? 0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, server, close: () => new Promise((r) => server.close(() => r())) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const env = process.env;
  const b = await startWalletBackend({
    endpoint: env.TUTTI_ENDPOINT ?? 'http://127.0.0.1:4599',
    region: env.AWS_REGION ?? 'us-east-1',
    accountId: env.TUTTI_ACCOUNT_ID ?? '000000000000',
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '' },
    serverParty: env.TUTTI_SERVER_PARTY ?? 'party-1',
    port: Number(env.PORT ?? 8080),
  });
  console.log(`wallet backend on ${b.url}`);
}
