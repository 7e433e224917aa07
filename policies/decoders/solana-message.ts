// Solana transaction messages — the bytes an Ed25519 key signs (Solana docs "Transactions":
// message format; legacy and versioned v0 messages with address lookup tables).
//   legacy: header[3] | compact-u16 n | n × 32-byte account keys | 32-byte blockhash |
//           compact-u16 m | m × (programIdIndex u8, compact-u16 k, k × u8 account index, compact-u16 len, data)
//   v0:     0x80 | the same | compact-u16 l | l × (32-byte table, compact-u16 w, w × u8, compact-u16 r, r × u8)
// Checks follow the runtime's sanitize rules: at least one signer (the fee payer), header counts
// within the key list, unique keys, program ids among the static keys and never the fee payer,
// account indexes in range, compact-u16 in its shortest form. decodeSolanaMessage() needs the whole
// input to be one message; startsWithSolanaMessage() also accepts trailing bytes, because the
// runtime verifies the signature over the packet's bytes from the message start on (invariant I-4).
import { noncanonical, parseError, DecodeError } from '../errors.ts';

export type SolanaInstruction = { programIdIndex: number; accounts: number[]; data: Uint8Array };
export type SolanaLookup = { table: Uint8Array; writable: number[]; readonly: number[] };

export type SolanaMessage = {
  version: 'legacy' | 'v0';
  numRequiredSignatures: number;
  numReadonlySigned: number;
  numReadonlyUnsigned: number;
  accountKeys: Uint8Array[];
  recentBlockhash: Uint8Array;
  instructions: SolanaInstruction[];
  lookups: SolanaLookup[];
  /** Program ids of the instructions, in instruction order (always static keys). */
  programIds: Uint8Array[];
};

class Reader {
  at = 0;
  constructor(readonly b: Uint8Array) {}
  u8(what: string): number {
    if (this.at >= this.b.length) parseError(`Solana message ends inside ${what}`);
    return this.b[this.at++]!;
  }
  bytes(n: number, what: string): Uint8Array {
    if (this.at + n > this.b.length) parseError(`Solana message ends inside ${what}`);
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  /** compact-u16 ("shortvec"): 1–3 bytes, 7 bits each, little-endian, shortest form only. */
  compactU16(what: string): number {
    let value = 0;
    for (let i = 0; i < 3; i++) {
      const byte = this.u8(what);
      const part = byte & 0x7f;
      if (i === 2 && byte > 0x03) parseError(`${what}: compact-u16 overflows 16 bits`);
      value |= part << (7 * i);
      if ((byte & 0x80) === 0) {
        if (i > 0 && byte === 0) noncanonical(`${what}: compact-u16 not in its shortest form`);
        return value;
      }
    }
    return parseError(`${what}: compact-u16 longer than 3 bytes`);
  }
}

const keyHex = (k: Uint8Array): string => Array.from(k, (x) => x.toString(16).padStart(2, '0')).join('');

function read(bytes: Uint8Array): [SolanaMessage, number] {
  const r = new Reader(bytes);
  let version: 'legacy' | 'v0' = 'legacy';
  let first = r.u8('header');
  if (first & 0x80) {
    if (first !== 0x80) throw new DecodeError('UNSUPPORTED_FORMAT', `Solana message version ${first & 0x7f} is not evaluated`);
    version = 'v0';
    first = r.u8('header');
  }
  const numRequiredSignatures = first;
  const numReadonlySigned = r.u8('header');
  const numReadonlyUnsigned = r.u8('header');
  const nKeys = r.compactU16('account count');
  const accountKeys: Uint8Array[] = [];
  for (let i = 0; i < nKeys; i++) accountKeys.push(r.bytes(32, `account key ${i}`));
  const recentBlockhash = r.bytes(32, 'recent blockhash');
  const nIx = r.compactU16('instruction count');
  const instructions: SolanaInstruction[] = [];
  for (let i = 0; i < nIx; i++) {
    const programIdIndex = r.u8(`instruction ${i}`);
    const nAcc = r.compactU16(`instruction ${i} account count`);
    const accounts = Array.from(r.bytes(nAcc, `instruction ${i} accounts`));
    const data = r.bytes(r.compactU16(`instruction ${i} data length`), `instruction ${i} data`);
    instructions.push({ programIdIndex, accounts, data });
  }
  const lookups: SolanaLookup[] = [];
  if (version === 'v0') {
    const nL = r.compactU16('lookup table count');
    for (let i = 0; i < nL; i++) {
      const table = r.bytes(32, `lookup table ${i}`);
      const writable = Array.from(r.bytes(r.compactU16(`lookup ${i} writable count`), `lookup ${i} writable indexes`));
      const readonly = Array.from(r.bytes(r.compactU16(`lookup ${i} readonly count`), `lookup ${i} readonly indexes`));
      if (writable.length + readonly.length === 0) parseError(`lookup table ${i} loads no accounts`);
      lookups.push({ table, writable, readonly });
    }
  }
  // Sanitize (the runtime's Message::sanitize / v0::Message::sanitize).
  if (numRequiredSignatures === 0) parseError('Solana message has no signer (fee payer)');
  if (numReadonlySigned >= numRequiredSignatures) parseError('Solana message: every signer is read-only, no writable fee payer');
  if (numRequiredSignatures + numReadonlyUnsigned > nKeys) parseError('Solana message header counts exceed the account keys');
  if (new Set(accountKeys.map(keyHex)).size !== nKeys) parseError('Solana message lists an account key twice');
  const loaded = lookups.reduce((n, l) => n + l.writable.length + l.readonly.length, 0);
  const total = nKeys + loaded;
  if (total > 256) parseError('Solana message references more than 256 accounts');
  const programIds: Uint8Array[] = [];
  for (const [i, ix] of instructions.entries()) {
    if (ix.programIdIndex === 0 || ix.programIdIndex >= nKeys) {
      parseError(`instruction ${i}: program id index ${ix.programIdIndex} is not a static non-fee-payer key`);
    }
    if (ix.accounts.some((a) => a >= total)) parseError(`instruction ${i}: account index out of range`);
    programIds.push(accountKeys[ix.programIdIndex]!);
  }
  const message: SolanaMessage = {
    version,
    numRequiredSignatures,
    numReadonlySigned,
    numReadonlyUnsigned,
    accountKeys,
    recentBlockhash,
    instructions,
    lookups,
    programIds,
  };
  return [message, r.at];
}

/** The whole input must be exactly one sanitized message. */
export function decodeSolanaMessage(bytes: Uint8Array): SolanaMessage {
  const [message, end] = read(bytes);
  if (end !== bytes.length) parseError(`${bytes.length - end} bytes trail the Solana message`);
  return message;
}

/** True when the bytes begin with a sanitized Solana message (trailing bytes allowed). */
export function startsWithSolanaMessage(bytes: Uint8Array): boolean {
  try {
    read(bytes);
    return true;
  } catch {
    return false;
  }
}
