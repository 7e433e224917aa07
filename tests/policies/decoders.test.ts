// The strict decoders against published vectors (EIP-155, EIP-712, the RLP spec examples) and
// against the tests' own RLP encoder; every non-canonical form docs/policies.md "Strict decoding" lists is refused.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { decodeStaticArgs } from '../../policies/decoders/abi.ts';
import { base58Decode, base58Encode } from '../../policies/decoders/base58.ts';
import { decodeEip191, encodeEip191 } from '../../policies/decoders/eip191.ts';
import { decodeEip712, encodeType } from '../../policies/decoders/eip712.ts';
import { decodeEvmTransaction } from '../../policies/decoders/evm-tx.ts';
import { decodeRlp, decodeRlpStrict, encodeRlp, type RlpItem } from '../../policies/decoders/rlp.ts';
import { decodeSolanaMessage } from '../../policies/decoders/solana-message.ts';
import { DecodeError } from '../../policies/errors.ts';
import { parseCanonicalJson } from '../../policies/jcs.ts';
import { jsonBytes, safeTx, SAFE_TX_TYPE } from './support/eip712.ts';
import { baseTx, eip1559, eip2930, legacy155, transferData, USDC } from './support/evm.ts';
import { cat, hex, rlp, toHex, type RlpInput } from './support/rlp-encode.ts';
import { compactU16, filled, key, message, transfer } from './support/solana.ts';

const code = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return e instanceof DecodeError ? e.code : `threw ${String(e)}`;
  }
};

describe('RLP (Yellow Paper appendix B)', () => {
  const vectors: Array<[string, RlpInput, string]> = [
    ['"dog"', hex('646f67'), '0x83646f67'],
    ['["cat","dog"]', [hex('636174'), hex('646f67')], '0xc88363617483646f67'],
    ['empty string', new Uint8Array(0), '0x80'],
    ['empty list', [], '0xc0'],
    ['0', 0, '0x80'],
    ['15', 15, '0x0f'],
    ['1024', 1024, '0x820400'],
    ['set theory', [[], [[]], [[], [[]]]], '0xc7c0c1c0c3c0c1c0'],
    [
      '56-byte string',
      new TextEncoder().encode('Lorem ipsum dolor sit amet, consectetur adipisicing elit'),
      '0xb8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365637465747572206164697069736963696e6720656c6974',
    ],
  ];
  test.each(vectors)('%s', (_n, input, expected) => {
    expect(toHex(rlp(input))).toBe(expected);
    const bytes = hex(expected);
    expect(toHex(encodeRlp(decodeRlpStrict(bytes)))).toBe(expected);
  });

  const bad: Array<[string, string, string]> = [
    ['single byte in long form', '8105', 'NONCANONICAL'],
    ['0x00 in long form', '8100', 'NONCANONICAL'],
    ['long form for a 1-byte payload', 'b80161', 'NONCANONICAL'],
    ['long-form length with a leading zero', 'b90038' + '61'.repeat(56), 'NONCANONICAL'],
    ['long list form for a short list', 'f80180', 'NONCANONICAL'],
    ['truncated string', '83646f', 'PARSE_ERROR'],
    ['trailing bytes', '8080', 'PARSE_ERROR'],
    ['list shorter than its items', 'c283646f67', 'PARSE_ERROR'],
    ['empty input', '', 'PARSE_ERROR'],
    ['huge length', 'bf' + 'ff'.repeat(8), 'PARSE_ERROR'],
  ];
  test.each(bad)('refuses %s', (_n, h, expected) => expect(code(() => decodeRlpStrict(hex(h)))).toBe(expected));

  test('depth is bounded', () => {
    const nest = (n: number): RlpInput => (n === 1 ? [] : [nest(n - 1)]);
    expect(code(() => decodeRlp(rlp(nest(8))))).toBe('ok');
    expect(code(() => decodeRlp(rlp(nest(9))))).toBe('PARSE_ERROR');
  });

  test("the tests' encoder and the engine's encoder agree on random structures", () => {
    let s = 7;
    const r = (n: number): number => {
      s = (s * 1103515245 + 12345) >>> 0;
      return s % n;
    };
    const gen = (d: number): RlpInput =>
      d < 3 && r(3) === 0 ? Array.from({ length: r(5) }, () => gen(d + 1)) : Uint8Array.from({ length: r(3) === 0 ? r(70) : r(3) }, () => r(256));
    const toItem = (x: RlpInput): RlpItem => (Array.isArray(x) ? x.map(toItem) : (x as Uint8Array));
    for (let i = 0; i < 300; i++) {
      const x = gen(0);
      const bytes = rlp(x);
      expect(toHex(encodeRlp(toItem(x)))).toBe(toHex(bytes));
      expect(toHex(encodeRlp(decodeRlpStrict(bytes)))).toBe(toHex(bytes));
    }
  });
});

describe('Ethereum transactions', () => {
  test('EIP-155 example: signing data and hash from the EIP', () => {
    const t = baseTx({ nonce: 9n, maxFeePerGas: 20_000_000_000n, gasLimit: 21_000n, to: '0x' + '35'.repeat(20), value: 10n ** 18n, data: '0x', chainId: 1n });
    const bytes = legacy155(t);
    expect(toHex(bytes)).toBe('0xec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080');
    expect(toHex(keccak_256(bytes))).toBe('0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53');
    const tx = decodeEvmTransaction(bytes);
    expect(tx).toMatchObject({ txType: 'legacyEip155', chainId: 1n, nonce: 9n, maxFeePerGas: 20_000_000_000n, gasLimit: 21_000n, value: 10n ** 18n });
  });

  test('EIP-1559 and EIP-2930 fields', () => {
    const tx = decodeEvmTransaction(eip1559(baseTx()));
    expect(tx.txType).toBe('eip1559');
    expect(toHex(tx.to!)).toBe(USDC);
    expect(toHex(tx.data)).toBe(transferData('0x' + '44'.repeat(20), 5_000_000_000n));
    expect(tx.maxPriorityFeePerGas).toBe(1_000_000_000n);
    expect(decodeEvmTransaction(eip2930(baseTx({ accessList: [[USDC, ['0x' + '00'.repeat(31) + '01']]] }))).accessList).toHaveLength(1);
  });

  test.each([
    ['maxPriorityFeePerGas above maxFeePerGas', eip1559(baseTx({ maxPriorityFeePerGas: 10n, maxFeePerGas: 9n })), 'PARSE_ERROR'],
    ['nonce 2^64 - 1 (EIP-2681)', eip1559(baseTx({ nonce: 2n ** 64n - 1n })), 'PARSE_ERROR'],
    ['signed legacy tx (r, s set)', rlp([1, 1, 21000, '0x' + '35'.repeat(20), 1, '0x', 37, 5, 6]), 'PARSE_ERROR'],
    ['access list entry with a 31-byte key', eip1559(baseTx({ accessList: [[USDC, ['0x' + '00'.repeat(31)]]] })), 'PARSE_ERROR'],
    ['an RLP string, not a list, as legacy tx', rlp(hex('c0')), 'PARSE_ERROR'],
    ['type byte 0x05', cat(Uint8Array.of(5), rlp([])), 'UNSUPPORTED_FORMAT'],
  ])('refuses %s', (_n, bytes, expected) => expect(code(() => decodeEvmTransaction(bytes as Uint8Array))).toBe(expected));
});

describe('EIP-191 personal messages', () => {
  test('round trip and the one valid split of the length digits', () => {
    for (const text of ['', 'hello', '12', '0', '9'.repeat(100)]) {
      const m = new TextEncoder().encode(text);
      expect(Buffer.from(decodeEip191(encodeEip191(m)).message).toString()).toBe(text);
    }
  });
  test.each([
    ['length with a leading zero', '\x19Ethereum Signed Message:\n05hello'],
    ['length too short', '\x19Ethereum Signed Message:\n4hello'],
    ['no length', '\x19Ethereum Signed Message:\nhello'],
    ['wrong prefix', '\x19Ethereum signed message:\n5hello'],
  ])('refuses %s', (_n, s) => expect(code(() => decodeEip191(new TextEncoder().encode(s)))).toBe('PARSE_ERROR'));
});

describe('EIP-712', () => {
  const mail = {
    types: {
      EIP712Domain: [
        { name: 'name', type: 'string' },
        { name: 'version', type: 'string' },
        { name: 'chainId', type: 'uint256' },
        { name: 'verifyingContract', type: 'address' },
      ],
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
    primaryType: 'Mail',
    domain: { name: 'Ether Mail', version: '1', chainId: 1, verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' },
    message: {
      from: { name: 'Cow', wallet: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' },
      to: { name: 'Bob', wallet: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB' },
      contents: 'Hello, Bob!',
    },
  };

  test("the EIP's Mail example: encodeType, domain separator, struct hash, digest", () => {
    const d = decodeEip712(parseCanonicalJson(jsonBytes(mail)));
    expect(encodeType(d.types, 'Mail')).toBe('Mail(Person from,Person to,string contents)Person(string name,address wallet)');
    expect(toHex(d.domainSeparator)).toBe('0xf2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f');
    expect(toHex(d.structHash)).toBe('0xc52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e');
    expect(toHex(d.digest)).toBe('0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2');
  });

  test('Safe v1.3.0 SafeTx typeHash', () => {
    const d = decodeEip712(parseCanonicalJson(jsonBytes(safeTx())));
    expect(toHex(d.typeHash)).toBe('0xbb8310d486368db6bd6f849402fdd73ad53d316b5a4b2644ad6efe0f941286d8');
    expect(SAFE_TX_TYPE).toHaveLength(10);
  });

  const variant = (f: (m: typeof mail) => void): Uint8Array => {
    const m = JSON.parse(JSON.stringify(mail)) as typeof mail;
    f(m);
    return jsonBytes(m);
  };
  test.each([
    [
      'an unused type',
      variant((m) => {
        (m.types as Record<string, unknown>).Extra = [{ name: 'x', type: 'uint8' }];
      }),
      'NONCANONICAL',
    ],
    [
      'domain fields out of order',
      variant((m) => {
        m.types.EIP712Domain.reverse();
      }),
      'NONCANONICAL',
    ],
    [
      'domain field with a non-standard type',
      variant((m) => {
        m.types.EIP712Domain[2]!.type = 'uint64';
      }),
      'NONCANONICAL',
    ],
    [
      'a missing message field',
      variant((m) => {
        delete (m.message as Record<string, unknown>).contents;
      }),
      'NONCANONICAL',
    ],
    [
      'an undefined type',
      variant((m) => {
        m.types.Mail[2]!.type = 'Letter';
      }),
      'PARSE_ERROR',
    ],
    [
      'an address of 19 bytes',
      variant((m) => {
        m.message.to.wallet = '0x' + '11'.repeat(19);
      }),
      'PARSE_ERROR',
    ],
    [
      'a number above 2^53',
      new TextEncoder().encode(new TextDecoder().decode(jsonBytes(mail)).replace('"chainId":1', '"chainId":9007199254740993')),
      'NONCANONICAL',
    ],
    ['a uint8 of 256', jsonBytes(safeTx({ message: { operation: 256 } })), 'PARSE_ERROR'],
    [
      'an extra top-level key',
      variant((m) => {
        (m as Record<string, unknown>).extra = 1;
      }),
      'PARSE_ERROR',
    ],
  ])('refuses %s', (_n, bytes, expected) => expect(code(() => decodeEip712(parseCanonicalJson(bytes)))).toBe(expected));
});

describe('Solana messages', () => {
  test.each([
    [0, '00'],
    [0x7f, '7f'],
    [0x80, '8001'],
    [0x3fff, 'ff7f'],
    [0x4000, '808001'],
    [0xffff, 'ffff03'],
  ])('compact-u16 %i', (n, h) => {
    expect(toHex(compactU16(n))).toBe(`0x${h}`);
  });

  test('a legacy transfer decodes; program ids resolve', () => {
    const m = decodeSolanaMessage(transfer(filled(0x11)));
    expect(m.version).toBe('legacy');
    expect(m.instructions).toHaveLength(1);
    expect(base58Encode(m.programIds[0]!)).toBe('11111111111111111111111111111111');
  });

  const payer = filled(0x11);
  test.each([
    ['trailing byte', cat(transfer(payer), Uint8Array.of(0)), 'PARSE_ERROR'],
    ['compact-u16 not in shortest form', cat(Uint8Array.of(1, 0, 1, 0x83, 0x00), payer), 'NONCANONICAL'],
    ['no signer', message({ header: [0, 0, 1], keys: [payer, key('11111111111111111111111111111111')], instructions: [] }), 'PARSE_ERROR'],
    ['duplicate account keys', message({ keys: [payer, payer], instructions: [] }), 'PARSE_ERROR'],
    ['fee payer as program', message({ keys: [payer, filled(2)], instructions: [{ program: 0, accounts: [], data: new Uint8Array(0) }] }), 'PARSE_ERROR'],
    [
      'account index out of range',
      message({ keys: [payer, filled(2)], instructions: [{ program: 1, accounts: [9], data: new Uint8Array(0) }] }),
      'PARSE_ERROR',
    ],
    ['message version 1', cat(Uint8Array.of(0x81), transfer(payer)), 'UNSUPPORTED_FORMAT'],
  ])('refuses %s', (_n, bytes, expected) => expect(code(() => decodeSolanaMessage(bytes))).toBe(expected));

  test('base58: canonical keys only', () => {
    const token = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
    expect(base58Encode(base58Decode(token, 32)!)).toBe(token);
    expect(base58Decode('11111111111111111111111111111111', 32)).toEqual(new Uint8Array(32));
    expect(base58Decode('0OIl', 32)).toBeNull();
    expect(base58Decode(token, 31)).toBeNull();
  });
});

describe('static ABI arguments', () => {
  test('transfer(address,uint256)', () => {
    const args = decodeStaticArgs(hex(transferData(USDC, 42n)), ['address', 'uint256']);
    expect(args.map((a) => a.text)).toEqual([USDC, '42']);
  });
  test.each([
    ['bool of 2', ['bool'], '0x12345678' + '2'.padStart(64, '0'), 'NONCANONICAL'],
    ['uint8 of 256', ['uint8'], '0x12345678' + '100'.padStart(64, '0'), 'NONCANONICAL'],
    ['bytes4 not right-padded', ['bytes4'], '0x12345678' + 'ab'.repeat(5) + '00'.repeat(27), 'NONCANONICAL'],
    ['short calldata', ['uint256'], '0x12345678' + '00'.repeat(31), 'PARSE_ERROR'],
  ])('refuses %s', (_n, abi, data, expected) => expect(code(() => decodeStaticArgs(hex(data), abi))).toBe(expected));
});
