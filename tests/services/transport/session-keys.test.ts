// A session's ephemeral X25519 keys (services/transport/session-keys.ts): the key a party announces
// is the one its agreement uses. That making them never blocks the thread (the Node 20 deadlock of
// exporting a fresh key as JWK under garbage collection, docs/operations.md "A party that stopped
// answering") is checked with 40,000 keys in a child process in session-keys.slow.test.ts.
import { describe, expect, test } from '@jest/globals';
import { x25519 } from '@noble/curves/ed25519.js';
import { SessionKeys, SESSION_KEY_BYTES } from '../../../services/transport/session-keys.ts';

describe('session keys', () => {
  test('the announced public key is the X25519 public key of the secret the agreement uses', () => {
    const ours = new SessionKeys();
    const theirSecret = x25519.utils.randomSecretKey();
    const theirs = x25519.getPublicKey(theirSecret);
    expect(ours.publicKey).toHaveLength(SESSION_KEY_BYTES);
    ours.learn(2, theirs);
    // Both sides agree: X25519(their secret, our announced key) is what we computed with our secret.
    expect(Buffer.from(ours.agreed(2))).toEqual(Buffer.from(x25519.getSharedSecret(theirSecret, ours.publicKey)));
    ours.erase();
    expect(ours.erased).toBe(true);
  });
});
