// ReshareKey onto a party that holds no share of the key: it needs the old key's public package
// (commitments and verifying shares; nothing secret), which the gateway does not keep. A holder
// reports its own (services/party/reshare.ts keyPackageAnswer); the gateway only carries it, and
// every dealer's setup digest binds the package it holds itself, so a wrong one stops the session
// in round 1 naming the liar's view (docs/protocols.md "ReshareKey through the service").
import { randomBytes } from 'node:crypto';
import type { CoordinatorToParty, KeyPackageMessage } from '../control/messages.ts';

type Waiting = { partyId: string; keyId: string; resolve: (answer: KeyPackageMessage | undefined) => void; timer: NodeJS.Timeout };

export class KeyPackageQueries {
  private readonly waiting = new Map<string, Waiting>();

  constructor(private readonly send: (partyId: string, msg: CoordinatorToParty) => boolean) {}

  /** The party's public package of the key, or undefined (not connected, no share, no answer within `timeoutMs`). */
  ask(partyId: string, keyId: string, timeoutMs = 5000): Promise<KeyPackageMessage | undefined> {
    const id = randomBytes(16).toString('hex');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.set(id, { partyId, keyId, resolve, timer });
      if (!this.send(partyId, { type: 'key-package-query', id, keyId })) {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(undefined);
      }
    });
  }

  /** A party's 'key-package': accepted only from the party that was asked, for that key. */
  onAnswer(partyId: string, msg: KeyPackageMessage): void {
    const w = typeof msg.id === 'string' ? this.waiting.get(msg.id) : undefined;
    if (!w || w.partyId !== partyId || msg.keyId !== w.keyId) return;
    clearTimeout(w.timer);
    this.waiting.delete(msg.id);
    w.resolve(msg.package && typeof msg.package === 'object' ? msg : undefined);
  }
}
