// identity.json encrypted at rest under the party's master key, like its shares (trust-review H1:
// a clear identity key plus recorded relay traffic was as good as the share). The public half stays
// readable, so `party init` and the peers.json snippets need no master key.
//
//   { "format": 2, "partyId": …, "signPublic": <hex>, "kexPublic": <hex>,
//     "sealed": <hex of sealAtRest(master key, signSecret ‖ kexSecret, aad)> }
//   aad = JSON [LABELS.identityAtRest, partyId, signPublic, kexPublic]
//
// The aad binds the public keys and the party id, so a sealed blob copied into another party's
// file, or public keys edited beside it, do not open. A format-1 file (secrets in clear, as
// written before) is rewritten in format 2 on first read with the master key, with the same keys:
// peers' pins stay valid.
import { readSecretJson, SecretFileError, writeSecretFile } from './secret-file.ts';
import { openAtRest, sealAtRest, SealedBoxError } from './sealed-box.ts';
import type { MasterKey } from './master-key.ts';
import { LABELS } from '../../protocols/core/labels.ts';
import { bytesToHex, concatBytes, equalBytes, hexToBytes } from '../../protocols/core/bytes.ts';
import {
  identityFromSecrets,
  isPartyId,
  parseIdentity,
  parsePublicIdentity,
  publicIdentity,
  type Identity,
  type PublicIdentity,
} from '../transport/identity.ts';

const SEALED_FORMAT = 2;
const CLEAR_FORMAT = 1;

function aadOf(p: PublicIdentity): Uint8Array {
  return new TextEncoder().encode(JSON.stringify([LABELS.identityAtRest, p.partyId, p.signPublic, p.kexPublic]));
}

/** identity.json text for `id`, its secret keys sealed under `masterKey`. */
export function sealIdentity(id: Identity, masterKey: MasterKey): string {
  const pub = publicIdentity(id);
  const secrets = concatBytes(id.signSecret, id.kexSecret);
  try {
    const sealed = sealAtRest(masterKey, secrets, aadOf(pub));
    return JSON.stringify({ format: SEALED_FORMAT, ...pub, sealed: bytesToHex(sealed) }, null, 2) + '\n';
  } finally {
    secrets.fill(0);
  }
}

/** The public identity in `file`, without the master key (either format). */
export function readPublicIdentityFile(file: string): PublicIdentity {
  const { text, o } = readSecretJson(file);
  try {
    if (o.format === SEALED_FORMAT) return parsePublicIdentity({ partyId: o.partyId, signPublic: o.signPublic, kexPublic: o.kexPublic });
    return publicIdentity(parseIdentity(text));
  } catch (e) {
    throw new SecretFileError(file, (e as Error).message, { cause: e });
  }
}

/** Writes a (new) identity to `file`, sealed under `masterKey`; mode 0600, atomically. */
export function writeIdentityFile(file: string, id: Identity, masterKey: MasterKey, options?: { overwrite?: boolean }): void {
  writeSecretFile(file, new TextEncoder().encode(sealIdentity(id, masterKey)), options);
}

/**
 * The party's identity from `file`, opened with its master key. A format-1 (clear) file is
 * rewritten sealed first (`migrated`), with the same keys.
 * @throws SecretFileError naming the file: malformed, unsafe mode, or sealed under another master key.
 */
export function readIdentityFile(file: string, masterKey: MasterKey): { identity: Identity; migrated: boolean } {
  const { text, o } = readSecretJson(file);
  if (o.format === CLEAR_FORMAT) {
    let identity: Identity;
    try {
      identity = parseIdentity(text);
    } catch (e) {
      throw new SecretFileError(file, (e as Error).message, { cause: e });
    }
    writeIdentityFile(file, identity, masterKey);
    return { identity, migrated: true };
  }
  if (o.format !== SEALED_FORMAT) throw new SecretFileError(file, `unsupported identity format ${JSON.stringify(o.format)}`);
  let pub: PublicIdentity;
  try {
    if (!isPartyId(o.partyId)) throw new TypeError('bad party id');
    pub = parsePublicIdentity({ partyId: o.partyId, signPublic: o.signPublic, kexPublic: o.kexPublic });
    if (typeof o.sealed !== 'string' || !/^(?:[0-9a-f]{2})+$/.test(o.sealed)) throw new TypeError('sealed must be lowercase hex');
  } catch (e) {
    throw new SecretFileError(file, (e as Error).message, { cause: e });
  }
  let secrets: Uint8Array;
  try {
    secrets = openAtRest(masterKey, hexToBytes(o.sealed), aadOf(pub));
  } catch (e) {
    if (!(e instanceof SealedBoxError)) throw e;
    throw new SecretFileError(
      file,
      "the identity does not open with this party's master key (TUTTI_MASTER_KEY or master.key): " + 'another master key sealed it, or the file was altered',
      { cause: e },
    );
  }
  try {
    if (secrets.length !== 64) throw new SecretFileError(file, 'sealed identity has the wrong length');
    const identity = identityFromSecrets(pub.partyId, secrets.subarray(0, 32), secrets.subarray(32));
    if (!equalBytes(identity.signPublic, hexToBytes(pub.signPublic)) || !equalBytes(identity.kexPublic, hexToBytes(pub.kexPublic))) {
      throw new SecretFileError(file, 'the sealed secret keys do not match the public keys beside them');
    }
    return { identity, migrated: false };
  } finally {
    secrets.fill(0);
  }
}
