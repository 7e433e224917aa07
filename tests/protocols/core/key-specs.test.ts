// The one table of key specs and algorithms (protocols/core/key-specs.ts): every other place that
// says what Tutti supports — the coordinator, the party, the KMS edge, the policy engine, the JSON
// copy of the policy schema, docs/kms-compatibility.md and the README — agrees with it.
import { readFileSync } from 'node:fs';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import {
  EXTENSION_KEY_SPECS,
  EXTENSION_SIGNING_ALGORITHMS,
  KEY_SPEC_NAMES,
  KEY_SPEC_TABLE,
  SIGNING_ALGORITHMS,
  SIGNING_ALGORITHM_NAMES,
  keySpecOfProtocol,
  type KeySpecEntry,
} from '../../../protocols/core/key-specs.ts';
import { isFrostSuiteName } from '../../../protocols/frost/suite.ts';
import { isDklsCurveName } from '../../../protocols/dkls23/curve.ts';
import { ALGORITHMS_BY_KEY_SPEC, algorithmMismatch } from '../../../policies/invariants.ts';
import { POLICY_SCHEMA } from '../../../policies/policy-schema.ts';
import { signingDigest } from '../../../policies/digest.ts';
import { PREIMAGE_HASHES } from '../../../policies/preimage.ts';
import { DIGEST_BYTES, DIGEST_ONLY_ALGORITHMS, KEY_SPECS } from '../../../services/coordinator/key-specs.ts';
import { PROTOCOL_SUITES } from '../../../services/party/request-check.ts';
import { FAMILIES } from '../../../services/party/protocol-families.ts';
import * as shapes from '../../../services/kms-api/shapes.ts';

const read = (path: string): string => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
const entries = KEY_SPEC_NAMES.map((k) => [k, KEY_SPEC_TABLE[k] as KeySpecEntry] as const);

describe('the table itself', () => {
  test('is a leaf: it imports nothing, so both pure cores and every service can read it', () => {
    expect(read('protocols/core/key-specs.ts')).not.toMatch(/^\s*import\b/m);
  });

  test.each(entries)('%s names a protocol the parties run and algorithms of the table', (keySpec, e) => {
    expect(e.protocol).toBe(`${e.family}-${e.suite}`);
    expect(keySpecOfProtocol(e.protocol)).toBe(keySpec);
    expect(e.family === 'frost' ? isFrostSuiteName(e.suite) : isDklsCurveName(e.suite)).toBe(true);
    expect(e.scheme).toBe(e.family === 'frost' ? 'eddsa' : 'ecdsa');
    expect(FAMILIES[e.family].signs).toBe(e.scheme === 'eddsa' ? 'message' : 'digest');
    for (const a of e.algorithms) expect(SIGNING_ALGORITHM_NAMES).toContain(a);
    // AWS's values first (kms-compatibility.md: "AWS's value first").
    const origins = e.algorithms.map((a) => SIGNING_ALGORITHMS[a].origin);
    expect(origins).toEqual([...origins].sort());
  });

  test('every algorithm belongs to some key spec', () => {
    expect(new Set(entries.flatMap(([, e]) => e.algorithms))).toEqual(new Set(SIGNING_ALGORITHM_NAMES));
  });
});

describe('every copy is derived from the table', () => {
  test('coordinator: KEY_SPECS, DIGEST_BYTES, DIGEST_ONLY_ALGORITHMS', () => {
    expect(Object.keys(KEY_SPECS)).toEqual(KEY_SPEC_NAMES);
    for (const [keySpec, e] of entries) {
      const info = KEY_SPECS[keySpec]!;
      expect(info).toMatchObject({
        keySpec,
        protocol: e.protocol,
        scheme: e.scheme,
        signingAlgorithms: e.algorithms,
        publicKeyBytes: e.publicKeyBytes,
        signatureBytes: e.signatureBytes,
        spkiPrefix: e.spkiPrefix,
      });
      expect(info.curve !== undefined).toBe(e.scheme === 'ecdsa');
    }
    expect(DIGEST_BYTES).toEqual({ ECDSA_SHA_256: 32, ECDSA_KECCAK_256: 32, ED25519_PH_SHA_512: 64 });
    expect(DIGEST_ONLY_ALGORITHMS).toEqual(['ED25519_PH_SHA_512']);
  });

  test('party: PROTOCOL_SUITES', () => {
    expect(PROTOCOL_SUITES).toEqual({
      'frost-ed25519': { family: 'frost', suite: 'ed25519', keySpec: 'ECC_NIST_EDWARDS25519', algorithms: ['ED25519_SHA_512', 'ED25519_PH_SHA_512'] },
      'frost-ed448': { family: 'frost', suite: 'ed448', keySpec: 'ECC_NIST_EDWARDS448', algorithms: ['ED448_SHAKE_256'] },
      'dkls23-secp256k1': { family: 'dkls23', suite: 'secp256k1', keySpec: 'ECC_SECG_P256K1', algorithms: ['ECDSA_SHA_256', 'ECDSA_KECCAK_256'] },
      'dkls23-p256': { family: 'dkls23', suite: 'p256', keySpec: 'ECC_NIST_P256', algorithms: ['ECDSA_SHA_256'] },
    });
  });

  test("kms-api: the AWS enums plus exactly the table's extensions", () => {
    expect(EXTENSION_KEY_SPECS).toEqual(['ECC_NIST_EDWARDS448']);
    expect(EXTENSION_SIGNING_ALGORITHMS).toEqual(['ECDSA_KECCAK_256', 'ED448_SHAKE_256']);
    expect(shapes.EXTENSION_SIGNING_ALGORITHMS).toEqual(EXTENSION_SIGNING_ALGORITHMS);
    for (const [keySpec, e] of entries) {
      expect(shapes.KEY_SPECS).toContain(keySpec);
      expect(shapes.AWS_KEY_SPECS.includes(keySpec)).toBe(e.origin === 'aws');
    }
    for (const a of SIGNING_ALGORITHM_NAMES) {
      expect(shapes.SIGNING_ALGORITHMS).toContain(a);
      expect(shapes.AWS_SIGNING_ALGORITHMS.includes(a)).toBe(SIGNING_ALGORITHMS[a].origin === 'aws');
    }
  });

  test('policies: ALGORITHMS_BY_KEY_SPEC and the DIGEST lengths of algorithmMismatch', () => {
    expect(ALGORITHMS_BY_KEY_SPEC).toEqual(Object.fromEntries(entries.map(([k, e]) => [k, e.algorithms])));
    for (const [keySpec, e] of entries) {
      for (const a of e.algorithms) {
        const n = SIGNING_ALGORITHMS[a].digestBytes;
        if (n === null) expect(algorithmMismatch(keySpec, a, 'DIGEST', 32)).toMatch(/DIGEST is not possible/);
        else {
          expect(algorithmMismatch(keySpec, a, 'DIGEST', n)).toBeNull();
          expect(algorithmMismatch(keySpec, a, 'DIGEST', n + 1)).toMatch(/DIGEST is/);
        }
      }
    }
  });

  test("policies: the schema's enums, and the JSON copy for other tools", () => {
    const file = JSON.parse(read('policies/schema/policy.schema.json')) as typeof POLICY_SCHEMA;
    for (const schema of [POLICY_SCHEMA, file]) {
      const text = JSON.stringify(schema);
      expect(text).toContain(JSON.stringify({ enum: KEY_SPEC_NAMES }));
      expect(text).toContain(JSON.stringify({ enum: SIGNING_ALGORITHM_NAMES }));
    }
  });

  test("policies: what gets signed for a RAW message is the table's hash; a DIGEST has the table's length", () => {
    const message = new TextEncoder().encode('not JSON, any bytes');
    const hashes = { none: undefined, sha256: sha256(message), keccak256: keccak_256(message), sha512: sha512(message) };
    for (const a of SIGNING_ALGORITHM_NAMES) {
      expect(signingDigest(a, 'RAW', message)).toEqual(hashes[SIGNING_ALGORITHMS[a].rawHash]);
    }
    for (const [hash, algorithm] of Object.entries(PREIMAGE_HASHES)) expect(SIGNING_ALGORITHMS[algorithm].rawHash).toBe(hash);
  });
});

/** The cells of the Markdown table that follows `heading` in `doc`. */
function markdownTable(doc: string, heading: string): string[][] {
  const lines = doc.slice(doc.indexOf(heading)).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );
  }
  return rows;
}

const NAME = /`([A-Z0-9_]+)`/g;
const names = (cell: string): string[] => [...cell.matchAll(NAME)].map((m) => m[1]!);

describe('docs/kms-compatibility.md "Key specs and algorithms" is the table', () => {
  const rows = markdownTable(read('docs/kms-compatibility.md'), '## Key specs and algorithms');
  const implemented = rows.filter((r) => r[4]!.startsWith('Implemented'));

  test("the implemented rows are the table's key specs, in its order", () => {
    expect(rows.length).toBeGreaterThan(implemented.length);
    expect(implemented.map((r) => names(r[0]!)[0])).toEqual(KEY_SPEC_NAMES);
    for (const r of rows.filter((x) => !x[4]!.startsWith('Implemented'))) {
      for (const n of names(r[0]!)) expect(KEY_SPEC_NAMES).not.toContain(n);
    }
  });

  test.each(entries)('%s: origin, algorithms and their origins, message types, DIGEST lengths, signature, protocol', (keySpec, e) => {
    const [spec, algorithms, messageTypes, signature, status] = implemented.find((r) => names(r[0]!)[0] === keySpec)!;
    expect(spec).toBe(`\`${keySpec}\` (${e.origin === 'aws' ? 'AWS' : '**Tutti extension**'})`);
    expect(names(algorithms!)).toEqual(e.algorithms);
    for (const a of e.algorithms) {
      const marked = new RegExp(`\\*\\*extension\\*\\*\\s*\`${a}\`|\`${a}\`\\s*\\(\\*\\*extension\\*\\*`).test(algorithms!);
      expect([a, marked]).toEqual([a, SIGNING_ALGORITHMS[a].origin === 'tutti']);
    }
    const types = new Set(e.algorithms.flatMap((a) => SIGNING_ALGORITHMS[a].messageTypes));
    expect(new Set(names(messageTypes!))).toEqual(types);
    const lengths = new Set(e.algorithms.flatMap((a) => SIGNING_ALGORITHMS[a].digestBytes ?? []));
    expect(new Set([...messageTypes!.matchAll(/\((\d+) bytes/g)].map((m) => Number(m[1])))).toEqual(lengths);
    expect(/hashed again/.test(messageTypes!)).toBe(e.algorithms.some((a) => SIGNING_ALGORITHMS[a].digestHashedAgain));
    expect(signature).toBe(e.scheme === 'eddsa' ? `${e.signatureBytes} bytes` : 'DER, low-S');
    expect(status).toContain(e.family === 'frost' ? 'FROST' : 'DKLs23');
  });
});

describe('README "Status" names the table\'s key specs and algorithms', () => {
  test('each key spec and algorithm, and the extensions as extensions', () => {
    const readme = read('README.md');
    const status = readme.slice(readme.indexOf('**Status.**'), readme.indexOf('\n\n', readme.indexOf('**Status.**')));
    const named = names(status);
    expect(new Set(named.filter((n) => n in KEY_SPEC_TABLE))).toEqual(new Set(KEY_SPEC_NAMES));
    // P-256's only algorithm (ECDSA_SHA_256) is named under secp256k1.
    expect(new Set(named.filter((n) => n in SIGNING_ALGORITHMS))).toEqual(new Set(SIGNING_ALGORITHM_NAMES));
    const extensions: string[] = [...EXTENSION_KEY_SPECS, ...EXTENSION_SIGNING_ALGORITHMS];
    for (const x of named.filter((n) => n in KEY_SPEC_TABLE || n in SIGNING_ALGORITHMS)) {
      expect([x, new RegExp(`Tutti\\s+extension\\s+\`${x}\``).test(status)]).toEqual([x, extensions.includes(x)]);
    }
  });
});
