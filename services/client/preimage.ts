// Client side of "Policy-checked DIGEST" (docs/kms-compatibility.md): for the Ethereum signers that
// wrap AWS KMS (they hash themselves and send Sign{MessageType: DIGEST}), a PreimageBook attached to
// the KMSClient they use adds the digest's preimage to GrantTokens, so that every party checks the
// key's signing policy on the transaction, message or typed data instead of signing blind. The
// signer itself is not changed:
//
//   const kms = new KMSClient({ endpoint, region });
//   const book = new PreimageBook().attach(kms);
//   const signer = await KMSSigner.create(provider, keyId, kms);          // @rumblefishdev/eth-signer-kms
//   book.add(hexToBytes(serializeTransaction(tx)));                       // viem, or Transaction.from(tx).unsignedSerialized (ethers)
//   await signer.signTransaction(tx);                                      // Sign DIGEST + the preimage
//
// book.add(eip191Preimage(message)) before signMessage; book.add(typedDataPreimage(typedData))
// before signTypedData. No I/O and no SDK import: the AWS SDK's middleware stack is used by shape.
import { signingDigest } from '../../policies/digest.ts';
import { canonicalize } from '../../policies/jcs.ts';
import { PREIMAGE_HASHES, preimageGrantTokens, type PreimageHash } from '../../policies/preimage.ts';

export { preimageGrantTokens, readPreimage } from '../../policies/preimage.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The bytes of an EIP-191 personal message: 0x19 ‖ "Ethereum Signed Message:\n" ‖ len ‖ message. */
export function eip191Preimage(message: string | Uint8Array): Uint8Array {
  const body = typeof message === 'string' ? new TextEncoder().encode(message) : message;
  return Uint8Array.from([...new TextEncoder().encode(`\x19Ethereum Signed Message:\n${body.length}`), ...body]);
}

type TypedData = {
  domain: Record<string, unknown>;
  types: Record<string, ReadonlyArray<{ name: string; type: string }>>;
  primaryType: string;
  message: Record<string, unknown>;
};
const DOMAIN_FIELDS = [
  ['name', 'string'],
  ['version', 'string'],
  ['chainId', 'uint256'],
  ['verifyingContract', 'address'],
  ['salt', 'bytes32'],
] as const;

/**
 * EIP-712 typed data as the parties read it (docs/policies.md "EIP-712 typed data"): RFC 8785 JSON of
 * {types, primaryType, domain, message}, bigints as decimal strings, and `EIP712Domain` added from
 * the domain's fields in EIP-712 order when the caller left it out (ethers and viem do).
 */
export function typedDataPreimage(t: TypedData): Uint8Array {
  const plain = (v: unknown): unknown =>
    typeof v === 'bigint'
      ? v.toString()
      : Array.isArray(v)
        ? v.map(plain)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .filter(([, x]) => x !== undefined)
                .map(([k, x]) => [k, plain(x)]),
            )
          : v;
  const domain = plain(t.domain) as Record<string, unknown>;
  const types = { ...t.types } as Record<string, ReadonlyArray<{ name: string; type: string }>>;
  types.EIP712Domain ??= DOMAIN_FIELDS.filter(([f]) => domain[f] !== undefined).map(([name, type]) => ({ name, type }));
  return new TextEncoder().encode(canonicalize({ types, primaryType: t.primaryType, domain, message: plain(t.message) }));
}

type Middleware = (next: (args: { input: unknown }) => Promise<unknown>, context: { commandName?: string }) => (args: { input: unknown }) => Promise<unknown>;
type ClientLike = { middlewareStack: { add(mw: Middleware, options: { step: 'initialize'; name: string }): void } };

/** Preimages by their digest; attached to a KMSClient, it adds them to the Sign requests of those digests. */
export class PreimageBook {
  private readonly byDigest = new Map<string, string[]>();

  /**
   * Registers a preimage: `keccak256` (an Ethereum transaction, EIP-191 message or EIP-712 JSON,
   * whose digest is the EIP-712 hash) or `sha256`. Returns the digest the signer will send.
   */
  add(preimage: Uint8Array, hash: PreimageHash = 'keccak256'): Uint8Array {
    const digest = signingDigest(PREIMAGE_HASHES[hash], 'RAW', preimage)!;
    if (this.byDigest.size >= 1000) this.byDigest.delete(this.byDigest.keys().next().value!);
    this.byDigest.set(hex(digest), preimageGrantTokens(preimage, hash));
    return digest;
  }

  tokensFor(digest: Uint8Array): string[] | undefined {
    return this.byDigest.get(hex(digest));
  }

  /** Adds a registered digest's preimage tokens to every Sign{MessageType: DIGEST} sent through `client`. */
  attach(client: { middlewareStack: object }): this {
    (client as ClientLike).middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { MessageType?: string; Message?: Uint8Array; GrantTokens?: string[] };
        const tokens = context.commandName === 'SignCommand' && input.MessageType === 'DIGEST' && input.Message ? this.tokensFor(input.Message) : undefined;
        return next(tokens ? { ...args, input: { ...input, GrantTokens: [...(input.GrantTokens ?? []), ...tokens] } } : args);
      },
      { step: 'initialize', name: 'tuttiPreimage' },
    );
    return this;
  }
}
