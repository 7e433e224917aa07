// `cli.ts import-split`: the offline half of importing a key (docs/operations.md "Importing a key").
// Run it on an air-gapped machine: it reads the private key, splits it (protocols/import/split.ts),
// seals each party's share to that party's identity key (protocols/import/bundle.ts) and writes
//   OUT/manifest.json            public: spec, threshold, parties, commitments, verification shares, public key, hash
//   OUT/bundle-<partyId>.json    one per party, openable only by that party
// then overwrites the key and share bytes it held (JavaScript cannot wipe bigints or strings the
// runtime copied; docs/security.md "Imported keys are weaker than DKG"). Nothing is sent anywhere.
import { createPrivateKey, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { IMPORT_GROUPS, splitKey, type ImportManifest } from '../../protocols/import/split.ts';
import { sealBundle, type ImportBundle } from '../../protocols/import/bundle.ts';
import { parsePublicIdentity, type PublicIdentity } from '../transport/identity.ts';

export const USAGE =
  'import-split --key (HEX | FILE with hex or a PKCS#8 PEM) --spec ' +
  Object.keys(IMPORT_GROUPS).join('|') +
  ' --threshold T (--peers PEERS.json | --party ID:SIGNPUB:KEXPUB …) --out DIR';

/** The private key as the operator holds it: hex (inline or in a file), or a PKCS#8 PEM file. */
export function readPrivateKey(arg: string, spec: string): Uint8Array {
  const text = existsSync(arg) ? readFileSync(arg, 'utf8').trim() : arg.trim();
  if (text.startsWith('-----BEGIN')) {
    // JWK `d`: the EC private scalar (RFC 7518 §6.2.2.1), or the EdDSA seed (RFC 8037 §2).
    const jwk = createPrivateKey(text).export({ format: 'jwk' }) as { d?: string; crv?: string };
    if (!jwk.d) throw new Error('the PEM holds no private key');
    const want = { ECC_SECG_P256K1: 'secp256k1', ECC_NIST_P256: 'P-256', ECC_NIST_EDWARDS25519: 'Ed25519', ECC_NIST_EDWARDS448: 'Ed448' }[spec];
    if (jwk.crv !== want) throw new Error(`the PEM holds a ${String(jwk.crv)} key, not ${String(want)} (${spec})`);
    return new Uint8Array(Buffer.from(jwk.d, 'base64url'));
  }
  const hex = text.replace(/^0x/i, '');
  if (!/^([0-9a-f]{2})+$/i.test(hex)) throw new Error('--key is neither hex nor a PEM file');
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function parties(values: { peers?: string; party?: string[] }): PublicIdentity[] {
  const out: PublicIdentity[] = [];
  if (values.peers) out.push(...(JSON.parse(readFileSync(values.peers, 'utf8')) as { peers: unknown[] }).peers.map(parsePublicIdentity));
  for (const p of values.party ?? []) {
    const [partyId, signPublic, kexPublic] = p.replace('=', ':').split(':');
    out.push(parsePublicIdentity({ partyId, signPublic, kexPublic }));
  }
  return out;
}

/** The split itself, for the CLI and tests: manifest and sealed bundles; the secret is wiped. */
export function importSplit(o: { secret: Uint8Array; keySpec: string; threshold: number; parties: PublicIdentity[] }): {
  manifest: ImportManifest;
  bundles: ImportBundle[];
} {
  const rng = (n: number) => new Uint8Array(randomBytes(n));
  try {
    const { manifest, shares } = splitKey({ keySpec: o.keySpec, secret: o.secret, threshold: o.threshold, parties: o.parties, rng });
    try {
      const bundles = [...shares].map(([i, s]) => sealBundle(manifest, i, s, rng));
      return { manifest, bundles };
    } finally {
      for (const s of shares.values()) s.fill(0);
    }
  } finally {
    o.secret.fill(0);
  }
}

export function runImportSplit(args: string[]): number {
  const { values } = parseArgs({
    args,
    options: {
      key: { type: 'string' },
      spec: { type: 'string' },
      threshold: { type: 'string' },
      peers: { type: 'string' },
      party: { type: 'string', multiple: true },
      out: { type: 'string' },
    },
  });
  if (!values.key || !values.spec || !values.threshold || !values.out || (!values.peers && !values.party?.length)) {
    console.error(`usage: ${USAGE}`);
    return 2;
  }
  try {
    const secret = readPrivateKey(values.key, values.spec);
    const { manifest, bundles } = importSplit({ secret, keySpec: values.spec, threshold: Number(values.threshold), parties: parties(values) });
    mkdirSync(values.out, { recursive: true });
    writeFileSync(join(values.out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    for (const b of bundles) writeFileSync(join(values.out, `bundle-${b.partyId}.json`), JSON.stringify(b, null, 2) + '\n');
    console.log(
      JSON.stringify({ manifest: join(values.out, 'manifest.json'), hash: manifest.hash, publicKey: manifest.publicKey, bundles: bundles.length }, null, 2),
    );
    return 0;
  } catch (e) {
    console.error(`import-split: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
