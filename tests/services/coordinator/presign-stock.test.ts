// The coordinator's stock of DKLs23 presignature records (services/coordinator/presign-stock.ts):
// each record handed out once, bounded, refills limited, and dropped with a party or a key.
import { describe, expect, test } from '@jest/globals';
import { PRESIGN_PARALLEL, PresignStock, signerSetKey } from '../../../services/coordinator/presign-stock.ts';
import type { PresignatureRecord } from '../../../protocols/dkls23/presign.ts';

const KEY = 'k1';
const set = signerSetKey(
  new Map([
    [2, 'party-2'],
    [1, 'party-1'],
  ]),
);
const record = (id: string): PresignatureRecord => ({ curve: 'secp256k1', id, publicKey: '02', signers: [1, 2], R: '02', parts: [] });

describe('PresignStock', () => {
  test('the signer-set key is in index order', () => {
    expect(set).toBe('1:party-1,2:party-2');
  });

  test('each record is handed out once, oldest first', () => {
    const s = new PresignStock(4);
    s.add(KEY, set, record('a'));
    s.add(KEY, set, record('b'));
    expect(s.take(KEY, set)!.id).toBe('a');
    expect(s.take(KEY, set)!.id).toBe('b');
    expect(s.take(KEY, set)).toBeUndefined();
    expect(s.take(KEY, '1:party-1,3:party-3')).toBeUndefined();
  });

  test('bounded: the stock keeps the newest `target`; refills stop there and never exceed PARALLEL in flight', () => {
    const s = new PresignStock(3);
    expect(s.wanted(KEY, set)).toBe(PRESIGN_PARALLEL);
    s.started(KEY, set, 1);
    s.started(KEY, set, 1);
    expect(s.wanted(KEY, set)).toBe(0);
    s.started(KEY, set, -1);
    s.started(KEY, set, -1);
    for (const id of ['a', 'b', 'c', 'd']) s.add(KEY, set, record(id));
    expect(s.count(KEY, set)).toBe(3);
    expect(s.wanted(KEY, set)).toBe(0);
    expect(s.take(KEY, set)!.id).toBe('b');
    expect(s.wanted(KEY, set)).toBe(1);
  });

  test('a party whose link dropped takes every record it is part of with it; a key can be dropped', () => {
    const s = new PresignStock(8);
    const other = '1:party-1,3:party-3';
    s.add(KEY, set, record('a'));
    s.add(KEY, other, record('b'));
    s.dropParty('party-2');
    expect(s.count(KEY, set)).toBe(0);
    expect(s.count(KEY, other)).toBe(1);
    s.dropKey(KEY);
    expect(s.size).toBe(0);
  });

  test('stock 0 turns presigning off', () => {
    expect(new PresignStock(0).wanted(KEY, set)).toBe(0);
  });
});
