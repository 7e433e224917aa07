// EIP-712 typed data, received as RFC 8785 canonical JSON {domain, message, primaryType, types}
// (docs/policies.md "How typed data reaches the parties": a RAW message under ECDSA_KECCAK_256 whose
// first byte is '{'). Every party hashes it itself:
//   digest = keccak256(0x19 0x01 || hashStruct(EIP712Domain, domain) || hashStruct(primaryType, message))
// Strictness (docs/policies.md "`eip712` — typed data"; tests/policies/cases.test.ts cases 28–31):
//   - the JSON is canonical (no duplicate keys), top-level keys are exactly the four above;
//   - EIP712Domain lists a subset of name, version, chainId, verifyingContract, salt in that order with
//     their standard types, and the domain object has exactly those keys — a `chainId` in the domain
//     that the type does not hash is a spoof, not a value;
//   - message objects have exactly the fields of their type; every type is reachable from primaryType;
//   - values are checked against their types (uint range, 20-byte address, bytesN length …), and
//     strings are well-formed Unicode (no lone surrogates, which UTF-8 cannot carry).
// Policy conditions read the decoded values (TypedNode), never raw JSON keys.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { DecodeError, noncanonical, parseError } from '../errors.ts';
import type { JsonValue } from '../jcs.ts';

export type TypedNode =
  | { kind: 'atom'; type: string; text: string; num: bigint | null }
  | { kind: 'array'; type: string; items: TypedNode[] }
  | { kind: 'struct'; type: string; fields: Map<string, TypedNode> };

export type Eip712Field = { name: string; type: string };

export type Eip712Data = {
  primaryType: string;
  types: ReadonlyMap<string, Eip712Field[]>;
  /** EIP712Domain field names, in order. */
  domainFields: string[];
  domain: Extract<TypedNode, { kind: 'struct' }>;
  message: Extract<TypedNode, { kind: 'struct' }>;
  /** keccak256(encodeType(primaryType)). */
  typeHash: Uint8Array;
  domainSeparator: Uint8Array;
  structHash: Uint8Array;
  /** What is signed: keccak256(0x1901 || domainSeparator || structHash). */
  digest: Uint8Array;
};

export const DOMAIN_FIELDS: readonly Eip712Field[] = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
  { name: 'salt', type: 'bytes32' },
];

const LIMITS = { types: 64, fields: 64, arrayItems: 1024, depth: 16 };
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const ATOMIC =
  /^(address|bool|string|bytes|bytes([1-9]|[12][0-9]|3[0-2])|u?int(8|16|24|32|40|48|56|64|72|80|88|96|104|112|120|128|136|144|152|160|168|176|184|192|200|208|216|224|232|240|248|256))$/;
const ARRAY = /^(.*)\[([0-9]*)\]$/;
const enc = new TextEncoder();
/** With the u flag a well-formed pair is one code point, so only an unpaired surrogate matches. */
const LONE_SURROGATE = /\p{Cs}/u;

const isObject = (v: unknown): v is Record<string, JsonValue> => typeof v === 'object' && v !== null && !Array.isArray(v);
const sameKeys = (obj: Record<string, unknown>, names: readonly string[]): boolean => {
  const keys = Object.keys(obj);
  return keys.length === names.length && names.every((n) => Object.hasOwn(obj, n));
};

function baseType(type: string): string {
  let t = type;
  for (let m = ARRAY.exec(t); m; m = ARRAY.exec(t)) t = m[1]!;
  return t;
}

function parseTypes(raw: JsonValue): Map<string, Eip712Field[]> {
  if (!isObject(raw)) parseError('EIP-712 types must be an object');
  const types = new Map<string, Eip712Field[]>();
  const entries = Object.entries(raw as Record<string, JsonValue>);
  if (entries.length > LIMITS.types) parseError(`EIP-712 has more than ${LIMITS.types} types`);
  for (const [name, fields] of entries) {
    if (!IDENT.test(name) || ATOMIC.test(name)) parseError(`EIP-712 type name '${name}' is not a struct name`);
    if (!Array.isArray(fields) || fields.length > LIMITS.fields) parseError(`EIP-712 type ${name} must list at most ${LIMITS.fields} fields`);
    const seen = new Set<string>();
    types.set(
      name,
      (fields as JsonValue[]).map((f) => {
        if (!isObject(f) || !sameKeys(f, ['name', 'type']) || typeof f.name !== 'string' || typeof f.type !== 'string') {
          parseError(`EIP-712 type ${name}: each field is exactly {name, type}`);
        }
        const field = f as { name: string; type: string };
        if (!IDENT.test(field.name) || seen.has(field.name)) parseError(`EIP-712 type ${name}: bad or repeated field name '${field.name}'`);
        seen.add(field.name);
        return { name: field.name, type: field.type };
      }),
    );
  }
  for (const [name, fields] of types) {
    for (const f of fields) {
      const b = baseType(f.type);
      if (!ATOMIC.test(b) && (!types.has(b) || b === 'EIP712Domain')) parseError(`EIP-712 type ${name}.${f.name} uses undefined type '${f.type}'`);
      for (let t = f.type, m = ARRAY.exec(t); m; t = m[1]!, m = ARRAY.exec(t)) {
        if (m[2] !== '' && !/^[1-9][0-9]{0,3}$/.test(m[2]!)) parseError(`EIP-712 type ${name}.${f.name}: bad array length in '${f.type}'`);
      }
    }
  }
  return types;
}

/** Struct types reachable from `root` (root included), in discovery order. */
function reachable(types: Map<string, Eip712Field[]>, root: string): Set<string> {
  const out = new Set<string>([root]);
  const stack = [root];
  while (stack.length > 0) {
    for (const f of types.get(stack.pop()!)!) {
      const b = baseType(f.type);
      if (types.has(b) && !out.has(b)) {
        out.add(b);
        stack.push(b);
      }
    }
  }
  return out;
}

/** encodeType (EIP-712 §"Definition of encodeType"): the primary type, then its dependencies sorted by name. */
export function encodeType(types: ReadonlyMap<string, Eip712Field[]>, primary: string): string {
  const deps = [...reachable(types as Map<string, Eip712Field[]>, primary)].filter((t) => t !== primary).sort();
  return [primary, ...deps]
    .map(
      (t) =>
        `${t}(${types
          .get(t)!
          .map((f) => `${f.type} ${f.name}`)
          .join(',')})`,
    )
    .join('');
}

function uintWord(n: bigint): Uint8Array {
  const w = new Uint8Array(32);
  let x = BigInt.asUintN(256, n);
  for (let i = 31; i >= 0; i--) {
    w[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return w;
}

function hexBytes(v: JsonValue, what: string): Uint8Array {
  if (typeof v !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(v)) parseError(`${what} must be a 0x-prefixed hex string`);
  const s = (v as string).slice(2);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const toHex = (b: Uint8Array): string => `0x${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;

function integer(v: JsonValue, what: string, signed: boolean): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) parseError(`${what}: numbers above 2^53 must be decimal strings`);
    return BigInt(v);
  }
  if (typeof v === 'string' && (signed ? /^-?(0|[1-9][0-9]{0,77})$/ : /^(0|[1-9][0-9]{0,77})$/).test(v) && v !== '-0') return BigInt(v);
  return parseError(`${what} must be an integer (a JSON number up to 2^53 or a decimal string)`);
}

type Encoded = { word: Uint8Array; node: TypedNode };

function encodeValue(types: Map<string, Eip712Field[]>, type: string, v: JsonValue, what: string, depth: number): Encoded {
  if (depth > LIMITS.depth) parseError(`EIP-712 value nested deeper than ${LIMITS.depth}`);
  const arr = ARRAY.exec(type);
  if (arr) {
    if (!Array.isArray(v)) parseError(`${what} must be an array`);
    const items = v as JsonValue[];
    if (items.length > LIMITS.arrayItems) parseError(`${what} has more than ${LIMITS.arrayItems} items`);
    if (arr[2] !== '' && items.length !== Number(arr[2])) parseError(`${what} must have exactly ${arr[2]} items`);
    const encs = items.map((x, i) => encodeValue(types, arr[1]!, x, `${what}[${i}]`, depth + 1));
    const cat = new Uint8Array(32 * encs.length);
    encs.forEach((e, i) => cat.set(e.word, 32 * i));
    return { word: keccak_256(cat), node: { kind: 'array', type, items: encs.map((e) => e.node) } };
  }
  const fields = types.get(type);
  if (fields) {
    const s = hashStruct(types, type, v, what, depth + 1);
    return { word: s.hash, node: s.node };
  }
  if (type === 'string') {
    if (typeof v !== 'string') parseError(`${what} must be a string`);
    // A lone surrogate (JSON "\ud800", canonical under RFC 8785) has no UTF-8 form: TextEncoder would
    // hash it as U+FFFD, so the policy would read one string and the party sign another. RFC 8785
    // §3.2.2.2 requires I-JSON (RFC 7493 §2.1: no lone surrogates), so such a string is refused.
    if (LONE_SURROGATE.test(v as string)) parseError(`${what} is not well-formed Unicode (it contains a lone surrogate)`);
    return { word: keccak_256(enc.encode(v as string)), node: { kind: 'atom', type, text: v as string, num: null } };
  }
  if (type === 'bytes') {
    const b = hexBytes(v, what);
    return { word: keccak_256(b), node: { kind: 'atom', type, text: toHex(b), num: null } };
  }
  if (type === 'bool') {
    if (typeof v !== 'boolean') parseError(`${what} must be true or false`);
    return { word: uintWord(v ? 1n : 0n), node: { kind: 'atom', type, text: v ? 'true' : 'false', num: v ? 1n : 0n } };
  }
  if (type === 'address') {
    const b = hexBytes(v, what);
    if (b.length !== 20) parseError(`${what} must be a 20-byte address`);
    const w = new Uint8Array(32);
    w.set(b, 12);
    return { word: w, node: { kind: 'atom', type, text: toHex(b), num: null } };
  }
  const bytesN = /^bytes([0-9]+)$/.exec(type);
  if (bytesN) {
    const b = hexBytes(v, what);
    if (b.length !== Number(bytesN[1])) parseError(`${what} must be exactly ${bytesN[1]} bytes`);
    const w = new Uint8Array(32);
    w.set(b, 0);
    return { word: w, node: { kind: 'atom', type, text: toHex(b), num: null } };
  }
  const intN = /^(u?)int([0-9]+)$/.exec(type)!;
  const signed = intN[1] === '';
  const bits = BigInt(intN[2]!);
  const n = integer(v, what, signed);
  const [lo, hi] = signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
  if (n < lo || n > hi) parseError(`${what} is out of range for ${type}`);
  return { word: uintWord(n), node: { kind: 'atom', type, text: n.toString(), num: n } };
}

function hashStruct(
  types: Map<string, Eip712Field[]>,
  type: string,
  v: JsonValue,
  what: string,
  depth: number,
): { hash: Uint8Array; node: Extract<TypedNode, { kind: 'struct' }> } {
  const fields = types.get(type)!;
  if (!isObject(v)) parseError(`${what} must be an object of type ${type}`);
  const obj = v as Record<string, JsonValue>;
  if (
    !sameKeys(
      obj,
      fields.map((f) => f.name),
    )
  ) {
    noncanonical(`${what} must have exactly the fields of ${type} (${fields.map((f) => f.name).join(', ')})`);
  }
  const buf = new Uint8Array(32 * (fields.length + 1));
  buf.set(keccak_256(enc.encode(encodeType(types, type))), 0);
  const node = new Map<string, TypedNode>();
  fields.forEach((f, i) => {
    const e = encodeValue(types, f.type, obj[f.name]!, `${what}.${f.name}`, depth);
    buf.set(e.word, 32 * (i + 1));
    node.set(f.name, e.node);
  });
  return { hash: keccak_256(buf), node: { kind: 'struct', type, fields: node } };
}

/** Validates and hashes typed data that has already passed parseCanonicalJson(). */
export function decodeEip712(json: JsonValue): Eip712Data {
  if (!isObject(json) || !sameKeys(json, ['domain', 'message', 'primaryType', 'types'])) {
    parseError('EIP-712 JSON must have exactly the keys domain, message, primaryType, types');
  }
  const doc = json as Record<string, JsonValue>;
  const types = parseTypes(doc.types!);
  const domainType = types.get('EIP712Domain') ?? parseError('EIP-712 types must define EIP712Domain');
  // EIP712Domain: a subsequence of the standard fields, in the standard order, with the standard types.
  let at = 0;
  for (const f of domainType) {
    while (at < DOMAIN_FIELDS.length && DOMAIN_FIELDS[at]!.name !== f.name) at++;
    const std = DOMAIN_FIELDS[at];
    if (!std || std.type !== f.type) noncanonical(`EIP712Domain field '${f.type} ${f.name}' is not a standard domain field in standard order`);
    at++;
  }
  const primaryType = doc.primaryType;
  if (typeof primaryType !== 'string' || !types.has(primaryType) || primaryType === 'EIP712Domain') {
    parseError('EIP-712 primaryType must name a struct type other than EIP712Domain');
  }
  const primary = primaryType as string;
  const used = reachable(types, primary);
  for (const t of types.keys()) {
    if (t !== 'EIP712Domain' && !used.has(t)) noncanonical(`EIP-712 type ${t} is not used by ${primary}`);
  }
  if (
    !isObject(doc.domain) ||
    !sameKeys(
      doc.domain,
      domainType.map((f) => f.name),
    )
  ) {
    noncanonical(`EIP-712 domain must have exactly the fields EIP712Domain lists (${domainType.map((f) => f.name).join(', ') || 'none'})`);
  }
  const domain = hashStruct(types, 'EIP712Domain', doc.domain!, 'domain', 0);
  const message = hashStruct(types, primary, doc.message!, 'message', 0);
  const pre = new Uint8Array(66);
  pre[0] = 0x19;
  pre[1] = 0x01;
  pre.set(domain.hash, 2);
  pre.set(message.hash, 34);
  return {
    primaryType: primary,
    types,
    domainFields: domainType.map((f) => f.name),
    domain: domain.node,
    message: message.node,
    typeHash: keccak_256(enc.encode(encodeType(types, primary))),
    domainSeparator: domain.hash,
    structHash: message.hash,
    digest: keccak_256(pre),
  };
}

export { DecodeError };
