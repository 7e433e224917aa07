// The 50 test cases of the signing-policy research (docs/policies.md: its cases, adapted), table-driven, against the adapted example policies in fixtures/.
// Numbers are §7's; letters are variants. Where this engine's answer differs from §7's proposal the
// row says why (docs/policies.md "Differences from the research proposal").
import { keccak_256 } from '@noble/hashes/sha3.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { compilePolicy, policyErrors, type CompiledPolicy } from '../../policies/compile.ts';
import { evaluate } from '../../policies/evaluate.ts';
import { policyHash } from '../../policies/hash.ts';
import { KEY_SCOPE, type Decision, type EvaluationContext, type PolicyDocument, type Rule, type SignRequest } from '../../policies/types.ts';
import { approve } from './support/approve.ts';
import { jsonBytes, safeTx, SAFE } from './support/eip712.ts';
import { baseTx, DEAD, eip1559, eip2930, ETH, fields1559, legacy155, legacyPre155, TREASURY, transferData, USDC } from './support/evm.ts';
import { context, fixture, POLICIES, request, SATURDAY_10, WEDNESDAY_10 } from './support/requests.ts';
import { cat, hex, rlp } from './support/rlp-encode.ts';
import { filled, key, message as solMessage, transfer } from './support/solana.ts';

const NOW = WEDNESDAY_10;
const enc = new TextEncoder();
const personal = (text: string): Uint8Array => {
  const m = enc.encode(text);
  return cat(enc.encode(`\x19Ethereum Signed Message:\n${m.length}`), m);
};
const withRule = (name: string, rule: Rule, patch: Partial<PolicyDocument> = {}): CompiledPolicy => {
  const doc = { ...fixture(name), ...patch };
  doc.rules = [...doc.rules, rule];
  return compilePolicy(doc);
};

const TX1 = eip1559(baseTx());
const SWEEP = (value: bigint): Uint8Array => eip1559(baseTx({ to: TREASURY, value, data: '0x' }));
const BIG_SWEEP = SWEEP(ETH + 1n);
const PAYER = filled(0x11);
const SAFE_OK = jsonBytes(safeTx());
const reward = (seq: bigint, magic = 'QREW'): Uint8Array => {
  const m = new Uint8Array(48);
  m.set(enc.encode(magic), 0);
  new DataView(m.buffer).setBigUint64(4, seq);
  return m;
};
const mutate = (i: number, v: unknown): Uint8Array => {
  const f = fields1559(baseTx()) as unknown[];
  f[i] = v;
  return cat(Uint8Array.of(2), rlp(f as never));
};
/** 0x02 ‖ list(fields 0–7 ‖ accessList), where accessList is a list nested `depth` levels deep. */
const nested = (depth: number): Uint8Array => {
  const headers: Uint8Array[] = [];
  let len = 1; // the innermost empty list 0xc0
  for (let i = 1; i < depth; i++) {
    const h = lenHeader(len);
    headers.push(h);
    len += h.length;
  }
  const head = (fields1559(baseTx()) as unknown[]).slice(0, 8).map((f) => rlp(f as never));
  const inner = new Uint8Array(len);
  headers.reverse().reduce((at, h) => {
    inner.set(h, at);
    return at + h.length;
  }, 0);
  inner[len - 1] = 0xc0;
  const payload = cat(...head, inner);
  return cat(Uint8Array.of(2), lenHeader(payload.length), payload);
};
function lenHeader(len: number): Uint8Array {
  if (len < 56) return Uint8Array.of(0xc0 + len);
  const b: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) b.unshift(n % 256);
  return Uint8Array.of(0xf7 + b.length, ...b);
}
/** #1 with the nonce 5 written in long form 0x81 0x05. */
const longFormNonce = (): Uint8Array => {
  const items = (fields1559(baseTx({ nonce: 5n })) as unknown[]).map((f) => rlp(f as never));
  items[1] = hex('8105');
  const payload = cat(...items);
  return cat(Uint8Array.of(2), lenHeader(payload.length), payload);
};

type Expect = { decision: 'allow' | 'deny'; code: Decision['code']; rule?: string; reason?: RegExp };
type Case = { id: string; policy: string | (() => CompiledPolicy); title: string; req: () => SignRequest; ctx?: () => EvaluationContext; expect: Expect };

const DENY = (code: Decision['code'], rule?: string, reason?: RegExp): Expect => ({ decision: 'deny', code, rule, reason });
const ALLOW = (rule: string): Expect => ({ decision: 'allow', code: 'ALLOW', rule });

const twoApprovals = (msg: Uint8Array, ids = ['owner-device', 'cfo'], policy = 'P-EVM'): SignRequest => {
  const r = request(policy, msg);
  return { ...r, approvals: ids.map((id) => approve(id, r, NOW + 300_000)) };
};

const cases: Case[] = [
  { id: '1', policy: 'P-EVM', title: 'EIP-1559 USDC transfer(5_000_000_000) on chain 1', req: () => request('P-EVM', TX1), expect: ALLOW('usdc-payouts') },
  {
    id: '2',
    policy: 'P-EVM',
    title: 'digest smuggling: keccak256(tx) as DIGEST',
    req: () => request('P-EVM', keccak_256(TX1), { messageType: 'DIGEST' }),
    expect: DENY('EXPLICIT_DENY', 'deny-digest'),
  },
  {
    id: '2b',
    policy: () =>
      withRule('safe-owner', {
        id: 'tx-or-digest',
        effect: 'allow',
        conditions: { messageType: { in: ['RAW', 'DIGEST'] }, format: { kind: 'evmTransaction', txTypes: { in: ['eip1559'] }, chainId: { in: ['1'] } } },
      }),
    title: 'DIGEST against a policy whose only DIGEST rule demands a parsed format',
    req: () => request('P-SAFE', keccak_256(TX1), { messageType: 'DIGEST' }),
    expect: DENY('NO_MATCHING_ALLOW', 'builtin:default-deny', /message is digest, the rule covers evmTransaction/),
  },
  {
    id: '3',
    policy: () => withRule('evm-payout', { id: 'any-raw', effect: 'allow', conditions: { messageType: { in: ['RAW'] }, format: { kind: 'raw' } } }),
    title: 'tx bytes under a "raw" allow rule, ECDSA_KECCAK_256: read as a transaction, never as raw',
    req: () => request('P-EVM', TX1, { caller: { accessKeyId: 'AKIAOTHERCALLER00001', principal: 'x' } }),
    expect: DENY('NO_MATCHING_ALLOW', 'builtin:default-deny', /any-raw: message is evmTransaction, the rule covers raw/),
  },
  {
    id: '3b',
    policy: 'P-EVM',
    title: 'I-1: bytes that are no Ethereum format, under ECDSA_KECCAK_256',
    req: () => request('P-EVM', cat(Uint8Array.of(0xa0), keccak_256(TX1))),
    expect: DENY('INVARIANT', 'builtin:I-1'),
  },
  {
    id: '4',
    policy: 'P-EVM',
    title: 'EIP-1559 to 0x9999… (not allowlisted), 0.5 ETH',
    req: () => request('P-EVM', eip1559(baseTx({ to: '0x' + '99'.repeat(20), value: ETH / 2n, data: '0x' }))),
    expect: DENY('NO_MATCHING_ALLOW', 'builtin:default-deny', /to 0x9999/),
  },
  {
    id: '5',
    policy: 'P-EVM',
    title: 'chain id mismatch: #1 on chain 137',
    req: () => request('P-EVM', eip1559(baseTx({ chainId: 137n }))),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /chainId 137/),
  },
  {
    id: '6',
    policy: 'P-EVM',
    title: 'pre-EIP-155 legacy tx (6 fields, no chain id) to treasury',
    req: () => request('P-EVM', legacyPre155(baseTx({ to: TREASURY, value: 1n, data: '0x' }))),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /transaction type legacy is not allowed/),
  },
  {
    id: '7a',
    policy: 'P-EVM',
    title: 'EIP-2930 variant of #1',
    req: () => request('P-EVM', eip2930(baseTx())),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /type eip2930/),
  },
  {
    id: '7b',
    policy: 'P-EVM',
    title: 'EIP-155 legacy variant of #1',
    req: () => request('P-EVM', legacy155(baseTx())),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /type legacyEip155/),
  },
  {
    id: '7c',
    policy: 'P-EVM',
    title: 'EIP-7702 (type 4) variant of #1',
    req: () => request('P-EVM', cat(Uint8Array.of(4), TX1.subarray(1))),
    expect: DENY('UNSUPPORTED_FORMAT', 'builtin:decode', /EIP-7702/),
  },
  {
    id: '7d',
    policy: 'P-EVM',
    title: 'EIP-4844 (type 3) variant of #1',
    req: () => request('P-EVM', cat(Uint8Array.of(3), TX1.subarray(1))),
    expect: DENY('UNSUPPORTED_FORMAT', 'builtin:decode', /EIP-4844/),
  },
  {
    id: '8',
    policy: 'P-EVM',
    title: '#1 with selector approve 0x095ea7b3',
    req: () => request('P-EVM', eip1559(baseTx({ data: transferData(USDC, 1n).replace('a9059cbb', '095ea7b3') }))),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /selector 0x095ea7b3/),
  },
  {
    id: '9',
    policy: 'P-EVM',
    title: '#1 with amount 10_000_000_001 (> cap)',
    req: () => request('P-EVM', eip1559(baseTx({ data: transferData(USDC, 10_000_000_001n) }))),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /argument 1 of 0xa9059cbb 10000000001 is not lte/),
  },
  {
    id: '9b',
    policy: 'P-EVM',
    title: '#1 with amount exactly at the cap',
    req: () => request('P-EVM', eip1559(baseTx({ data: transferData(USDC, 10_000_000_000n) }))),
    expect: ALLOW('usdc-payouts'),
  },
  {
    id: '10a',
    policy: 'P-EVM',
    title: 'ABI: non-zero upper 12 bytes in the address word',
    req: () => request('P-EVM', eip1559(baseTx({ data: '0xa9059cbb' + 'ff'.repeat(12) + '44'.repeat(20) + 5n.toString(16).padStart(64, '0') }))),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /NONCANONICAL/),
  },
  {
    id: '10b',
    policy: 'P-EVM',
    title: 'ABI: an extra 32-byte word',
    req: () => request('P-EVM', eip1559(baseTx({ data: transferData(USDC, 5n) + '00'.repeat(32) }))),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /PARSE_ERROR/),
  },
  {
    id: '11',
    policy: 'P-EVM',
    title: 'RLP: nonce 0x820005 (leading zero; viem/ethers accept it)',
    req: () => request('P-EVM', mutate(1, hex('0005'))),
    expect: DENY('NONCANONICAL', 'builtin:decode', /nonce has a leading zero/),
  },
  {
    id: '11b',
    policy: 'P-EVM',
    title: 'RLP: single byte 0x05 written as 0x81 0x05 (ethers accepts it)',
    req: () => request('P-EVM', longFormNonce()),
    expect: DENY('NONCANONICAL', 'builtin:decode', /single byte below 0x80/),
  },
  {
    id: '12',
    policy: 'P-EVM',
    title: '#1 plus 4 trailing bytes',
    req: () => request('P-EVM', cat(TX1, hex('deadbeef'))),
    expect: DENY('PARSE_ERROR', 'builtin:decode', /trail/),
  },
  {
    id: '13a',
    policy: 'P-EVM',
    title: 'value of 33 bytes (> 2^256; viem accepts)',
    req: () => request('P-EVM', mutate(6, cat(Uint8Array.of(1), new Uint8Array(32)))),
    expect: DENY('PARSE_ERROR', 'builtin:decode', /value is 33 bytes/),
  },
  {
    id: '13b',
    policy: 'P-EVM',
    title: 'nonce encoded as a list (viem yields undefined)',
    req: () => request('P-EVM', mutate(1, [5])),
    expect: DENY('PARSE_ERROR', 'builtin:decode', /nonce must be an RLP string/),
  },
  {
    id: '13c',
    policy: 'P-EVM',
    title: '`to` of 19 bytes',
    req: () => request('P-EVM', mutate(5, hex('11'.repeat(19)))),
    expect: DENY('PARSE_ERROR', 'builtin:decode', /19 bytes/),
  },
  {
    id: '13d',
    policy: 'P-EVM',
    title: '10 fields',
    req: () => request('P-EVM', cat(Uint8Array.of(2), rlp([...fields1559(baseTx()), 0] as never))),
    expect: DENY('PARSE_ERROR', 'builtin:decode', /10 fields/),
  },
  {
    id: '13e',
    policy: 'P-EVM',
    title: 'chainId 0 (ethers accepts)',
    req: () => request('P-EVM', mutate(0, 0)),
    expect: DENY('PARSE_ERROR', 'builtin:decode', /chainId 0/),
  },
  {
    id: '14',
    policy: 'P-EVM',
    title: 'oversized: 200 KiB message, refused before parsing',
    req: () => request('P-EVM', cat(Uint8Array.of(2), new Uint8Array(200 * 1024))),
    expect: DENY('MESSAGE_TOO_LARGE', 'builtin:message-size'),
  },
  {
    id: '15',
    policy: () => compilePolicy({ ...fixture('evm-payout'), limits: { maxMessageBytes: 1048576 } }),
    title: 'malformed RLP: access list nested 100,000 levels deep, no stack overflow',
    req: () => request('P-EVM', nested(100_000)),
    expect: DENY('PARSE_ERROR', 'builtin:decode', /nesting deeper/),
  },
  {
    id: '16',
    policy: 'P-EVM',
    title: 'EIP-1559 with empty `to` (contract creation)',
    req: () => request('P-EVM', eip1559(baseTx({ to: '0x', data: '0x6080' }))),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /contract creation is not allowed/),
  },
  {
    id: '17',
    policy: () =>
      withRule('evm-payout', {
        id: 'allow-dead',
        effect: 'allow',
        conditions: { format: { kind: 'evmTransaction', txTypes: { in: ['eip1559'] }, chainId: { in: ['1'] }, to: { in: [DEAD] } } },
      }),
    title: 'tx to 0x…dead with an added allow rule that lists 0x…dead',
    req: () => request('P-EVM', eip1559(baseTx({ to: DEAD, value: 1n, data: '0x' }))),
    expect: DENY('EXPLICIT_DENY', 'deny-blocklisted-recipients'),
  },
  {
    id: '18',
    policy: 'P-EVM',
    title: 'EIP-1559 to treasury, 1 ETH + 1 wei, no approvals',
    req: () => request('P-EVM', BIG_SWEEP),
    expect: DENY('APPROVALS_REQUIRED', 'large-eth-to-treasury-with-approvals', /0 of 2/),
  },
  {
    id: '19',
    policy: 'P-EVM',
    title: '#18 with approvals of owner-device (secp256k1) and cfo (ed25519)',
    req: () => twoApprovals(BIG_SWEEP),
    expect: ALLOW('large-eth-to-treasury-with-approvals'),
  },
  {
    id: '20',
    policy: 'P-EVM',
    title: 'an approval for another message (replayed approval)',
    req: () => {
      const r = request('P-EVM', BIG_SWEEP);
      return { ...r, approvals: [approve('owner-device', r, NOW + 300_000), approve('cfo', { ...r, message: SWEEP(ETH + 2n) }, NOW + 300_000)] };
    },
    expect: DENY('APPROVALS_REQUIRED', 'large-eth-to-treasury-with-approvals', /'cfo' does not verify for this request/),
  },
  {
    id: '21a',
    policy: 'P-EVM',
    title: 'the same approver twice',
    req: () => twoApprovals(BIG_SWEEP, ['cfo', 'cfo']),
    expect: DENY('APPROVALS_REQUIRED', undefined, /counted once/),
  },
  {
    id: '21b',
    policy: 'P-EVM',
    title: 'an approver not in the policy',
    req: () => twoApprovals(BIG_SWEEP, ['cfo', 'mallory']),
    expect: DENY('APPROVALS_REQUIRED', undefined, /'mallory' is not one of/),
  },
  {
    id: '21c',
    policy: 'P-EVM',
    title: 'an expired approval',
    req: () => {
      const r = request('P-EVM', BIG_SWEEP);
      return { ...r, approvals: [approve('owner-device', r, NOW + 300_000), approve('cfo', r, NOW)] };
    },
    expect: DENY('APPROVALS_REQUIRED', undefined, /'cfo' expired/),
  },
  {
    id: '21d',
    policy: 'P-EVM',
    title: 'an approval that lives longer than maxAgeSeconds (900 s)',
    req: () => {
      const r = request('P-EVM', BIG_SWEEP);
      return { ...r, approvals: [approve('owner-device', r, NOW + 300_000), approve('cfo', r, NOW + 3_600_000)] };
    },
    expect: DENY('APPROVALS_REQUIRED', undefined, /longer than maxAgeSeconds/),
  },
  {
    id: '21e',
    policy: 'P-EVM',
    title: 'an approval signed by the right key but a forged approver id (sec-officer signs as cfo)',
    req: () => {
      const r = request('P-EVM', BIG_SWEEP);
      const forged = approve('sec-officer', r, NOW + 300_000).replace(':sec-officer:', ':cfo:');
      return { ...r, approvals: [approve('owner-device', r, NOW + 300_000), forged] };
    },
    expect: DENY('APPROVALS_REQUIRED', undefined, /'cfo' does not verify/),
  },
  {
    id: '22',
    policy: 'P-EVM',
    title: 'EIP-191 login message',
    req: () => request('P-EVM', personal('Sign in to example.com\nNonce: 0123456789abcdef')),
    expect: ALLOW('login-messages'),
  },
  {
    id: '23',
    policy: 'P-EVM',
    title: 'EIP-191 whose text is 0x + 64 hex of a tx hash',
    req: () => request('P-EVM', personal(`0x${Buffer.from(keccak_256(TX1)).toString('hex')}`)),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /does not match utf8Pattern/),
  },
  {
    id: '24',
    policy: 'P-EVM',
    title: 'EIP-712 USDC Permit (no EIP-712 rule)',
    req: () =>
      request(
        'P-EVM',
        jsonBytes({
          types: {
            EIP712Domain: [
              { name: 'name', type: 'string' },
              { name: 'version', type: 'string' },
              { name: 'chainId', type: 'uint256' },
              { name: 'verifyingContract', type: 'address' },
            ],
            Permit: [
              { name: 'owner', type: 'address' },
              { name: 'spender', type: 'address' },
              { name: 'value', type: 'uint256' },
              { name: 'nonce', type: 'uint256' },
              { name: 'deadline', type: 'uint256' },
            ],
          },
          primaryType: 'Permit',
          domain: { name: 'USD Coin', version: '2', chainId: 1, verifyingContract: USDC },
          message: {
            owner: TREASURY,
            spender: DEAD,
            value: '115792089237316195423570985008687907853269984665640564039457584007913129639935',
            nonce: 0,
            deadline: '99999999999',
          },
        }),
      ),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /message is eip712/),
  },
  {
    id: '25',
    policy: 'P-SAFE',
    title: 'SafeTx chain 1, Safe 0x2222…, operation 0, to hot wallet, data 0x, 2 approvals',
    req: () => twoApprovals(SAFE_OK, ['signer-a', 'signer-c'], 'P-SAFE'),
    expect: ALLOW('safe-transfers-to-hot-wallet'),
  },
  {
    id: '25b',
    policy: 'P-SAFE',
    title: '#25 with only one approval',
    req: () => twoApprovals(SAFE_OK, ['signer-b'], 'P-SAFE'),
    expect: DENY('APPROVALS_REQUIRED', 'safe-transfers-to-hot-wallet', /1 of 2/),
  },
  {
    id: '26',
    policy: 'P-SAFE',
    title: 'Bybit replay: operation = 1 (delegatecall) to an attacker contract',
    req: () => twoApprovals(jsonBytes(safeTx({ message: { operation: 1, to: '0x' + '66'.repeat(20) } })), ['signer-a', 'signer-b'], 'P-SAFE'),
    expect: DENY('EXPLICIT_DENY', 'deny-delegatecall'),
  },
  {
    id: '27',
    policy: 'P-SAFE',
    title: 'blind hash signing: the safeTxHash as DIGEST',
    req: () => request('P-SAFE', keccak_256(SAFE_OK), { messageType: 'DIGEST' }),
    expect: DENY('INVARIANT', 'builtin:I-3'),
  },
  {
    id: '28',
    policy: 'P-SAFE',
    title: 'domain spoof: EIP712Domain lists only verifyingContract, domain JSON says chainId 1',
    req: () => request('P-SAFE', jsonBytes(safeTx({ domainType: [{ name: 'verifyingContract', type: 'address' }] }))),
    expect: DENY('NONCANONICAL', 'builtin:decode', /domain must have exactly the fields/),
  },
  {
    id: '28b',
    policy: 'P-SAFE',
    title: 'chain-agnostic domain (no chainId at all) against a rule that pins chainId',
    req: () =>
      twoApprovals(
        jsonBytes(safeTx({ domainType: [{ name: 'verifyingContract', type: 'address' }], domain: { verifyingContract: SAFE } })),
        ['signer-a', 'signer-b'],
        'P-SAFE',
      ),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /EIP712Domain hashes \(verifyingContract\)/),
  },
  {
    id: '29a',
    policy: 'P-SAFE',
    title: 'verifyingContract of another Safe',
    req: () => twoApprovals(jsonBytes(safeTx({ domain: { chainId: 1, verifyingContract: '0x' + '23'.repeat(20) } })), ['signer-a', 'signer-b'], 'P-SAFE'),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /verifyingContract/),
  },
  {
    id: '29b',
    policy: 'P-SAFE',
    title: 'domain chainId 10',
    req: () => twoApprovals(jsonBytes(safeTx({ domain: { chainId: 10, verifyingContract: SAFE } })), ['signer-a', 'signer-b'], 'P-SAFE'),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /domain.chainId 10/),
  },
  {
    id: '30a',
    policy: 'P-SAFE',
    title: 'message with an extra key (not hashed)',
    req: () => request('P-SAFE', jsonBytes(safeTx({ message: { memo: 'routine transfer' } }))),
    expect: DENY('NONCANONICAL', 'builtin:decode', /exactly the fields of SafeTx/),
  },
  {
    id: '30b',
    policy: 'P-SAFE',
    title: 'SafeTx field renamed (refundReceiver → refundTo): typeHash differs',
    req: () => {
      const t = safeTx();
      t.types.SafeTx = t.types.SafeTx!.map((f) => (f.name === 'refundReceiver' ? { ...f, name: 'refundTo' } : f));
      const { refundReceiver, ...rest } = t.message;
      t.message = { ...rest, refundTo: refundReceiver };
      return twoApprovals(jsonBytes(t), ['signer-a', 'signer-b'], 'P-SAFE');
    },
    expect: DENY('NO_MATCHING_ALLOW', undefined, /typeHash/),
  },
  {
    id: '30c',
    policy: 'P-SAFE',
    title: 'SafeTx `operation` renamed: the deny rule cannot evaluate it and fails closed',
    req: () => {
      const t = safeTx();
      t.types.SafeTx = t.types.SafeTx!.map((f) => (f.name === 'operation' ? { ...f, name: 'op' } : f));
      const { operation, ...rest } = t.message;
      t.message = { ...rest, op: operation };
      return request('P-SAFE', jsonBytes(t));
    },
    expect: DENY('EXPLICIT_DENY', 'deny-delegatecall', /fail closed/),
  },
  {
    id: '31',
    policy: 'P-SAFE',
    title: 'JSON with duplicate "to" keys (allowed value first, attacker second)',
    req: () =>
      request(
        'P-SAFE',
        enc.encode(
          new TextDecoder()
            .decode(SAFE_OK)
            .replace('"to":"0x3333333333333333333333333333333333333333"', `"to":"0x3333333333333333333333333333333333333333","to":"0x${'66'.repeat(20)}"`),
        ),
      ),
    expect: DENY('NONCANONICAL', 'builtin:decode', /RFC 8785/),
  },
  {
    id: '31b',
    policy: 'P-SAFE',
    title: 'typed data JSON with whitespace (not canonical)',
    req: () => request('P-SAFE', enc.encode(JSON.stringify(JSON.parse(new TextDecoder().decode(SAFE_OK)), null, 1))),
    expect: DENY('NONCANONICAL', 'builtin:decode'),
  },
  {
    id: '32',
    policy: 'P-SAFE',
    title: '#25 with non-zero gasPrice and a refundReceiver',
    req: () => twoApprovals(jsonBytes(safeTx({ message: { gasPrice: '1', refundReceiver: '0x' + '66'.repeat(20) } })), ['signer-a', 'signer-b'], 'P-SAFE'),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /gasPrice/),
  },
  {
    id: '33',
    policy: 'P-SOL',
    title: 'system-program transfer, signing key = fee payer',
    req: () => request('P-SOL', transfer(PAYER), { publicKey: PAYER }),
    expect: ALLOW('simple-transfers'),
  },
  {
    id: '34a',
    policy: 'P-SOL',
    title: 'adds an instruction of an unlisted program',
    req: () => request('P-SOL', transfer(PAYER, 1n, [{ program: 3, accounts: [0], data: new Uint8Array(0) }], [filled(0x77)]), { publicKey: PAYER }),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /is not in the allowlist/),
  },
  {
    id: '34b',
    policy: 'P-SOL',
    title: 'v0 message with an address lookup table',
    req: () =>
      request(
        'P-SOL',
        solMessage({
          v0: true,
          keys: [PAYER, key('11111111111111111111111111111111')],
          instructions: [{ program: 1, accounts: [0, 2], data: new Uint8Array(12) }],
          lookups: [{ table: filled(0x55), writable: [3], readonly: [] }],
        }),
        { publicKey: PAYER },
      ),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /lookup tables are not allowed/),
  },
  {
    id: '34c',
    policy: 'P-SOL',
    title: 'v0 message whose program id is loaded from a lookup table (invalid Solana message)',
    req: () =>
      request(
        'P-SOL',
        solMessage({
          v0: true,
          keys: [PAYER],
          instructions: [{ program: 1, accounts: [0], data: new Uint8Array(0) }],
          lookups: [{ table: filled(0x55), writable: [], readonly: [0] }],
        }),
        { publicKey: PAYER },
      ),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /message is raw, the rule covers solanaMessage/),
  },
  {
    id: '35',
    policy: 'P-SOL',
    title: 'valid transfer where the signing key is not the fee payer',
    req: () => request('P-SOL', transfer(PAYER), { publicKey: filled(0x12) }),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /not the fee payer/),
  },
  {
    id: '35b',
    policy: 'P-SOL',
    title: 'fee-payer rule but the party passed no public key (undeterminable → no match)',
    req: () => request('P-SOL', transfer(PAYER)),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /public key was not supplied/),
  },
  {
    id: '36',
    policy: 'P-ED448',
    title: 'reward claim, magic QREW, sequence 1001 after 1000',
    req: () => request('P-ED448', reward(1001n)),
    ctx: () => context(NOW, {}, { 'reward-claims': 1000n }),
    expect: ALLOW('reward-claims'),
  },
  {
    id: '37a',
    policy: 'P-ED448',
    title: 'the same claim again (sequence 1000 ≤ 1000)',
    req: () => request('P-ED448', reward(1000n)),
    ctx: () => context(NOW, {}, { 'reward-claims': 1000n }),
    expect: DENY('SEQUENCE_VIOLATION', 'reward-claims'),
  },
  {
    id: '37b',
    policy: 'P-ED448',
    title: 'wrong magic',
    req: () => request('P-ED448', reward(1001n, 'XREW')),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /layout\[0\]/),
  },
  {
    id: '37c',
    policy: 'P-ED448',
    title: 'payload shorter than the layout (47 bytes)',
    req: () => request('P-ED448', reward(5n).subarray(0, 47)),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /below 48/),
  },
  {
    id: '38',
    policy: 'P-ED448',
    title: 'DIGEST with ED448_SHAKE_256',
    req: () => request('P-ED448', new Uint8Array(64), { messageType: 'DIGEST' }),
    expect: DENY('ALGORITHM_MISMATCH', 'builtin:algorithm', /signs the message itself/),
  },
  {
    id: '41',
    policy: 'P-EVM',
    title: '11th small treasury sweep today falls through to the approval rule',
    req: () => request('P-EVM', SWEEP(ETH / 2n)),
    ctx: () => context(NOW, { 'small-eth-to-treasury': Array.from({ length: 10 }, (_, i) => NOW - 3_600_000 + i) }),
    expect: DENY('APPROVALS_REQUIRED', 'large-eth-to-treasury-with-approvals'),
  },
  {
    id: '41b',
    policy: 'P-EVM',
    title: 'the 10th small sweep is still allowed',
    req: () => request('P-EVM', SWEEP(ETH / 2n)),
    ctx: () => context(NOW, { 'small-eth-to-treasury': Array.from({ length: 9 }, (_, i) => NOW - 3_600_000 + i) }),
    expect: ALLOW('small-eth-to-treasury'),
  },
  {
    id: '41c',
    policy: 'P-EVM',
    title: 'charges older than the window no longer count',
    req: () => request('P-EVM', SWEEP(ETH / 2n)),
    ctx: () => context(NOW, { 'small-eth-to-treasury': Array.from({ length: 10 }, () => NOW - 86_400_000) }),
    expect: ALLOW('small-eth-to-treasury'),
  },
  {
    id: '42',
    policy: 'P-EVM',
    title: 'small sweep on Saturday 10:00 UTC (outside the time window)',
    req: () => request('P-EVM', SWEEP(ETH / 2n)),
    ctx: () => context(SATURDAY_10),
    expect: DENY('APPROVALS_REQUIRED', 'large-eth-to-treasury-with-approvals'),
  },
  {
    id: '42b',
    policy: 'P-EVM',
    title: 'small sweep at 19:00 UTC (windows are half-open)',
    req: () => request('P-EVM', SWEEP(ETH / 2n)),
    ctx: () => context(Date.UTC(2025, 5, 4, 19, 0, 0)),
    expect: DENY('APPROVALS_REQUIRED'),
  },
  {
    id: '43a',
    policy: 'P-EVM',
    title: '#1 from AKIAOTHERCALLER00001',
    req: () => request('P-EVM', TX1, { caller: { accessKeyId: 'AKIAOTHERCALLER00001', principal: 'p', verifiedBy: 'party' } }),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /caller AKIAOTHERCALLER00001/),
  },
  {
    id: '43b',
    policy: 'P-EVM',
    title: '#1 with a caller identity only asserted by the front end',
    req: () => request('P-EVM', TX1, { caller: { accessKeyId: 'AKIAEXAMPLEPAYOUT001', principal: 'p', verifiedBy: 'frontEnd' } }),
    expect: DENY('CALLER_UNVERIFIED', 'usdc-payouts'),
  },
  {
    id: '44',
    policy: 'P-EVM',
    title: 'coordinator tags the request with the hash of a permissive policy',
    req: () => request('P-EVM', TX1, { policyHash: policyHash({ ...fixture('evm-payout'), rules: [] }) }),
    expect: DENY('POLICY_HASH_MISMATCH', 'builtin:policy-hash'),
  },
  {
    id: '44b',
    policy: 'P-EVM',
    title: 'the right policy hash',
    req: () => request('P-EVM', TX1, { policyHash: POLICIES['P-EVM']!.hash }),
    expect: ALLOW('usdc-payouts'),
  },
  {
    id: '47',
    policy: 'P-EVM',
    title: 'an approval for the same message under another key id',
    req: () => {
      const r = request('P-EVM', BIG_SWEEP);
      return {
        ...r,
        approvals: [
          approve('owner-device', r, NOW + 300_000),
          approve('cfo', { ...r, keyId: '00000000-0000-4000-8000-000000000000' }, NOW + 300_000, { policyHash: POLICIES['P-EVM']!.hash }),
        ],
      };
    },
    expect: DENY('APPROVALS_REQUIRED', undefined, /'cfo' does not verify/),
  },
  {
    id: '47b',
    policy: 'P-EVM',
    title: 'an approval for the same message as DIGEST instead of RAW',
    req: () => {
      const r = request('P-EVM', BIG_SWEEP);
      return { ...r, approvals: [approve('owner-device', r, NOW + 300_000), approve('cfo', { ...r, messageType: 'DIGEST' }, NOW + 300_000)] };
    },
    expect: DENY('APPROVALS_REQUIRED', undefined, /'cfo' does not verify/),
  },
  {
    id: '48',
    policy: () =>
      compilePolicy({
        ...fixture('evm-payout'),
        rules: [
          {
            id: 'raw-sha256',
            effect: 'allow',
            conditions: { signingAlgorithm: { in: ['ECDSA_SHA_256'] }, messageType: { in: ['RAW'] }, format: { kind: 'raw' } },
          },
        ],
      }),
    title: 'I-2: RAW 32 bytes = SHA-256(BIP-143 preimage) under ECDSA_SHA_256 on secp256k1',
    req: () => request('P-EVM', sha256(enc.encode('bip143 preimage')), { signingAlgorithm: 'ECDSA_SHA_256' }),
    expect: DENY('INVARIANT', 'builtin:I-2'),
  },
  {
    id: '48b',
    policy: () =>
      compilePolicy({
        ...fixture('evm-payout'),
        rules: [
          {
            id: 'raw-sha256',
            effect: 'allow',
            conditions: { signingAlgorithm: { in: ['ECDSA_SHA_256'] }, messageType: { in: ['RAW'] }, format: { kind: 'raw' } },
          },
        ],
      }),
    title: 'the same rule signs a 33-byte message',
    req: () => request('P-EVM', new Uint8Array(33), { signingAlgorithm: 'ECDSA_SHA_256' }),
    expect: ALLOW('raw-sha256'),
  },
  {
    id: '51',
    policy: () =>
      compilePolicy({
        ...fixture('solana-waas'),
        rules: [{ id: 'any-raw', effect: 'allow', conditions: { messageType: { in: ['RAW'] }, format: { kind: 'raw' } } }],
      }),
    title: 'I-4: a Solana message with trailing bytes under a raw rule',
    req: () => request('P-SOL', cat(transfer(PAYER), hex('00'))),
    expect: DENY('INVARIANT', 'builtin:I-4'),
  },
  {
    id: '51b',
    policy: () =>
      compilePolicy({
        ...fixture('solana-waas'),
        rules: [{ id: 'any-raw', effect: 'allow', conditions: { messageType: { in: ['RAW'] }, format: { kind: 'raw' } } }],
      }),
    title: 'a whole Solana message is not raw, even under a raw rule',
    req: () => request('P-SOL', transfer(PAYER)),
    expect: DENY('NO_MATCHING_ALLOW', undefined, /message is solanaMessage/),
  },
  {
    id: '51c',
    policy: () =>
      compilePolicy({
        ...fixture('solana-waas'),
        rules: [{ id: 'any-raw', effect: 'allow', conditions: { messageType: { in: ['RAW'] }, format: { kind: 'raw' } } }],
      }),
    title: 'ordinary raw bytes under that raw rule',
    req: () => request('P-SOL', enc.encode('hello')),
    expect: ALLOW('any-raw'),
  },
  {
    id: '52',
    policy: 'P-EVM',
    title: '0x19 0x01 ‖ domainSeparator ‖ structHash (blind EIP-712 preimage)',
    req: () => request('P-EVM', cat(hex('1901'), new Uint8Array(64))),
    expect: DENY('UNSUPPORTED_FORMAT', 'builtin:decode', /0x01/),
  },
  {
    id: '53a',
    policy: 'P-EVM',
    title: 'key spec of the request differs from the policy binding',
    req: () => request('P-EVM', TX1, { keySpec: 'ECC_NIST_P256' }),
    expect: DENY('KEY_MISMATCH', 'builtin:key-binding'),
  },
  {
    id: '53b',
    policy: 'P-EVM',
    title: 'policy bound to another key id',
    req: () => request('P-EVM', TX1, { keyId: '00000000-0000-4000-8000-000000000000' }),
    expect: DENY('KEY_MISMATCH', 'builtin:key-binding'),
  },
  {
    id: '53c',
    policy: 'P-EVM',
    title: 'ED25519_SHA_512 on a secp256k1 key',
    req: () => request('P-EVM', TX1, { signingAlgorithm: 'ED25519_SHA_512' }),
    expect: DENY('ALGORITHM_MISMATCH'),
  },
  {
    id: '53d',
    policy: 'P-EVM',
    title: 'a 31-byte ECDSA DIGEST',
    req: () => request('P-EVM', new Uint8Array(31), { messageType: 'DIGEST' }),
    expect: DENY('ALGORITHM_MISMATCH', undefined, /32 bytes/),
  },
  {
    id: '53e',
    policy: 'P-EVM',
    title: 'message type EXTERNAL_MU',
    req: () => request('P-EVM', TX1, { messageType: 'EXTERNAL_MU' }),
    expect: DENY('ALGORITHM_MISMATCH'),
  },
  {
    id: '55',
    policy: 'P-ED448',
    title: 'key-wide rate limit (48/day) exhausted',
    req: () => request('P-ED448', reward(2000n)),
    ctx: () => context(NOW, { [KEY_SCOPE]: Array.from({ length: 48 }, (_, i) => NOW - i) }),
    expect: DENY('RATE_LIMITED', 'builtin:key-rate-limit'),
  },
  {
    id: '56',
    policy: 'P-EVM',
    title: 'invalid policy document: evaluate denies',
    req: () => request('P-EVM', TX1),
    expect: DENY('INVALID_POLICY', 'builtin:policy'),
  },
];

const policyOf = (c: Case): CompiledPolicy | unknown => {
  if (c.id === '56') return { ...fixture('evm-payout'), defaultEffect: 'allow' };
  return typeof c.policy === 'string' ? POLICIES[c.policy]! : c.policy();
};

describe('the signing-policy research cases', () => {
  test.each(cases.map((c) => [c.id, c.title, c] as const))('#%s %s', (_id, _title, c) => {
    const d = evaluate(policyOf(c), c.req(), c.ctx ? c.ctx() : context());
    const got = { decision: d.decision, code: d.code, ...(c.expect.rule ? { rule: d.rule } : {}) };
    expect(got).toEqual({ decision: c.expect.decision, code: c.expect.code, ...(c.expect.rule ? { rule: c.expect.rule } : {}) });
    if (c.expect.reason) expect(d.reasons.join(' | ')).toMatch(c.expect.reason);
    if (d.decision === 'deny') expect(d.rule).toBeDefined();
  });

  test('#1 allow carries the digest to sign (keccak256 of the preimage) and the rate-limit charges', () => {
    const d = evaluate(POLICIES['P-EVM']!, request('P-EVM', TX1), context());
    expect(d.digest).toEqual(keccak_256(TX1));
    expect(d.format).toBe('evmTransaction');
    expect(d.rateLimitCharges).toEqual([
      { scope: 'usdc-payouts', at: NOW, keepForMs: 3_600_000 },
      { scope: KEY_SCOPE, at: NOW, keepForMs: 86_400_000 },
    ]);
  });

  test('#19 allow names who approved', () => {
    const d = evaluate(POLICIES['P-EVM']!, twoApprovals(BIG_SWEEP), context());
    expect(d.approvedBy).toEqual(['owner-device', 'cfo']);
  });

  test('#25 the digest is the EIP-712 digest, not keccak256 of the JSON', () => {
    const d = evaluate(POLICIES['P-SAFE']!, twoApprovals(SAFE_OK, ['signer-a', 'signer-c'], 'P-SAFE'), context());
    expect(d.decision).toBe('allow');
    expect(d.digest).toHaveLength(32);
    expect(d.digest).not.toEqual(keccak_256(SAFE_OK));
  });

  test('#33 pure Ed25519: no digest, the message itself is signed', () => {
    const d = evaluate(POLICIES['P-SOL']!, request('P-SOL', transfer(PAYER), { publicKey: PAYER }), context());
    expect(d.decision).toBe('allow');
    expect(d.digest).toBeUndefined();
  });

  test('#36 allow reports the sequence to record', () => {
    const d = evaluate(POLICIES['P-ED448']!, request('P-ED448', reward(1001n)), context(NOW, {}, { 'reward-claims': 1000n }));
    expect(d.sequenceUpdates).toEqual([{ ruleId: 'reward-claims', value: 1001n }]);
  });

  test('unused GrantTokens that are not approvals are ignored', () => {
    const r = twoApprovals(BIG_SWEEP);
    const d = evaluate(POLICIES['P-EVM']!, { ...r, approvals: ['AQEBAHh…real-aws-grant-token', ...r.approvals!] }, context());
    expect(d.decision).toBe('allow');
  });

  test('a failing context callback is a deny, never an exception', () => {
    const d = evaluate(POLICIES['P-EVM']!, request('P-EVM', TX1), {
      now: NOW,
      rateLimitCounts: () => {
        throw new Error('db down');
      },
    });
    expect(d).toMatchObject({ decision: 'deny', code: 'INTERNAL_ERROR', rule: 'builtin:internal-error', reasons: ['Error: db down'] });
  });

  test('I-1 at install: a raw rule that names ECDSA_KECCAK_256 is refused', () => {
    const doc = {
      ...fixture('evm-payout'),
      rules: [{ id: 'raw-keccak', effect: 'allow', conditions: { signingAlgorithm: { in: ['ECDSA_KECCAK_256'] }, format: { kind: 'raw' } } }],
    };
    expect(policyErrors(doc).join()).toMatch(/invariant I-1/);
  });
});

describe('#39 rate-limit exhaustion under concurrency (2-of-2, per-party limit 100/h)', () => {
  // A party evaluates and records the charges in one synchronous step — the atomic "reserve, then
  // sign" of docs/policies.md "Rate limits" (in the daemon: one SQLite transaction around evaluate() and the insert).
  const party = (store: Record<string, number[]>, policy: CompiledPolicy) => ({
    sign(req: SignRequest, now: number): Decision {
      const d = evaluate(policy, req, context(now, store));
      for (const c of d.rateLimitCharges ?? []) (store[c.scope] ??= []).push(c.at);
      return d;
    },
  });

  test('150 concurrent requests: each party allows exactly 100; a restarted party still refuses', async () => {
    const stores = [{}, {}] as Array<Record<string, number[]>>;
    const parties = stores.map((s) => party(s, POLICIES['P-EVM']!));
    const results = await Promise.all(
      Array.from({ length: 150 }, async (_, i) => {
        await Promise.resolve();
        return parties.map((p) => p.sign(request('P-EVM', TX1), NOW + i));
      }),
    );
    for (const k of [0, 1]) {
      const codes = results.map((r) => r[k]!.code);
      expect(codes.filter((c) => c === 'ALLOW')).toHaveLength(100);
      expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(50);
      expect(stores[k]!['usdc-payouts']).toHaveLength(100);
    }
    // "Crash and restart": a new process reads the same durable counters.
    const restarted = party(stores[0]!, compilePolicy(fixture('evm-payout')));
    expect(restarted.sign(request('P-EVM', TX1), NOW + 200).code).toBe('RATE_LIMITED');
    // An hour later the window has moved on.
    expect(restarted.sign(request('P-EVM', TX1), NOW + 3_600_200).code).toBe('ALLOW');
  });

  test('#40 2-of-3, per-party L = 100: 400 requests spread over the 3 pairs give at most ⌊3·100/2⌋ = 150 signatures', () => {
    const stores = [{}, {}, {}] as Array<Record<string, number[]>>;
    const parties = stores.map((s) => party(s, POLICIES['P-EVM']!));
    const pairs = [
      [0, 1],
      [1, 2],
      [0, 2],
    ] as const;
    let signatures = 0;
    for (let i = 0; i < 400; i++) {
      const [a, b] = pairs[i % 3]!;
      const da = parties[a]!.sign(request('P-EVM', TX1), NOW + i);
      const db = parties[b]!.sign(request('P-EVM', TX1), NOW + i);
      if (da.decision === 'allow' && db.decision === 'allow') signatures++;
    }
    expect(signatures).toBeLessThanOrEqual(150);
    expect(signatures).toBe(150);
  });
});

describe('#49 policies rejected at install', () => {
  const usdcRule = (): Record<string, unknown> => JSON.parse(JSON.stringify(fixture('evm-payout').rules[2]));
  const variants: Array<[string, () => unknown, RegExp]> = [
    [
      'chainID instead of chainId',
      () => {
        const r = usdcRule();
        const f = (r.conditions as { format: Record<string, unknown> }).format;
        f.chainID = f.chainId;
        delete f.chainId;
        return { ...fixture('evm-payout'), rules: [r] };
      },
      /chainId|chainID/,
    ],
    [
      'unknown format kind cosmosTx',
      () => ({ ...fixture('evm-payout'), rules: [{ id: 'x', effect: 'allow', conditions: { format: { kind: 'cosmosTx' } } }] }),
      /kind/,
    ],
    [
      'upper-case (checksummed) address',
      () => {
        const r = usdcRule();
        (r.conditions as { format: { to: { in: string[] } } }).format.to.in = ['0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48'];
        return { ...fixture('evm-payout'), rules: [r] };
      },
      /pattern/,
    ],
  ];
  test.each(variants)('%s', (_name, make, message) => {
    const errors = policyErrors(make());
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(message);
  });
});

describe('#50 determinism: the same bytes give byte-identical decisions on independently compiled policies', () => {
  // A seeded corpus of valid and mutated payloads, evaluated by two "parties" (two compilations of
  // the same document). Decoders must never throw anything but a decision.
  let seed = 0x2545f491;
  const rand = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const flip = (b: Uint8Array): Uint8Array => {
    const out = b.slice();
    const kind = rand(4);
    if (kind === 0) out[rand(out.length)] = rand(256);
    else if (kind === 1) return out.subarray(0, rand(out.length));
    else if (kind === 2) return cat(out, Uint8Array.of(rand(256)));
    else {
      const i = rand(Math.min(out.length, 8));
      out[i] = (out[i] ?? 0) ^ (1 << rand(8));
    }
    return out;
  };
  const seeds: Array<[string, Uint8Array, Partial<SignRequest>]> = [
    ['P-EVM', TX1, {}],
    ['P-EVM', BIG_SWEEP, {}],
    ['P-EVM', legacy155(baseTx()), {}],
    ['P-EVM', eip2930(baseTx()), {}],
    ['P-EVM', personal('Sign in to example.com\nNonce: 0123456789abcdef'), {}],
    ['P-SAFE', SAFE_OK, {}],
    ['P-SOL', transfer(PAYER), { publicKey: PAYER }],
    ['P-ED448', reward(7n), {}],
  ];
  const json = (d: Decision): string =>
    JSON.stringify(d, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));

  test('3,000 payloads', () => {
    const other: Record<string, CompiledPolicy> = {
      'P-EVM': compilePolicy(fixture('evm-payout')),
      'P-SAFE': compilePolicy(fixture('safe-owner')),
      'P-SOL': compilePolicy(fixture('solana-waas')),
      'P-ED448': compilePolicy(fixture('ed448-rewards')),
    };
    const codes = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const [name, base, over] = seeds[i % seeds.length]!;
      let msg = base;
      for (let k = rand(3); k > 0; k--) msg = flip(msg);
      const req = request(name, msg, over);
      const a = evaluate(POLICIES[name]!, req, context());
      const b = evaluate(other[name]!, { ...req, message: msg.slice() }, context());
      expect(json(a)).toBe(json(b));
      codes.add(a.code);
    }
    expect(codes.size).toBeGreaterThan(4);
  });
});
