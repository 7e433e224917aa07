// A gateway key record (services/storage/key-repository.ts StoredKey) for the coordinator's unit
// tests, with every field a test does not care about set to an ordinary value: an enabled
// secp256k1 DKLs23 2-of-3 key on party-1..3 in account 111122223333, eu-west-1. Not a test file.
import type { StoredKey } from '../../services/storage/key-repository.ts';

export function storedKey(keyId: string, fields: Partial<StoredKey> = {}): StoredKey {
  return {
    keyId,
    arn: `arn:aws:kms:eu-west-1:111122223333:key/${keyId}`,
    accountId: '111122223333',
    region: 'eu-west-1',
    creationDate: 1,
    description: '',
    keyUsage: 'SIGN_VERIFY',
    keySpec: 'ECC_SECG_P256K1',
    keyState: 'Enabled',
    protocol: 'dkls23-secp256k1',
    threshold: 2,
    parties: ['party-1', 'party-2', 'party-3'],
    publicKey: '02' + 'cd'.repeat(32),
    policyHash: 'ab'.repeat(32),
    tags: [],
    deletionDate: null,
    pendingWindowInDays: null,
    policy: null,
    ...fields,
  };
}
