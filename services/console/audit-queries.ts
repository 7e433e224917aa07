// The gateway's side of the console's read-only audit-query (docs/console.md): ask one connected
// party for the tail of its audit log and wait briefly for its answer. The party keeps the log
// (services/storage/policy-store.ts); the gateway keeps nothing of it.
import { randomBytes } from 'node:crypto';
import type { AuditLogMessage, CoordinatorToParty } from '../control/messages.ts';
import { MAX_AUDIT_ENTRIES } from '../control/messages.ts';

type Waiting = { partyId: string; resolve: (answer: AuditLogMessage | undefined) => void; timer: NodeJS.Timeout };

export class AuditQueries {
  private readonly waiting = new Map<string, Waiting>();

  constructor(private readonly send: (partyId: string, msg: CoordinatorToParty) => boolean) {}

  /** The party's last `limit` audit entries, or undefined if it is not connected or did not answer within `timeoutMs`. */
  ask(partyId: string, limit: number, timeoutMs = 3000): Promise<AuditLogMessage | undefined> {
    const id = randomBytes(16).toString('hex');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.set(id, { partyId, resolve, timer });
      if (!this.send(partyId, { type: 'audit-query', id, limit: Math.min(Math.max(1, Math.trunc(limit)), MAX_AUDIT_ENTRIES) })) {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(undefined);
      }
    });
  }

  /** A party's 'audit-log': accepted only from the party that was asked. */
  onAnswer(partyId: string, msg: AuditLogMessage): void {
    const w = typeof msg.id === 'string' ? this.waiting.get(msg.id) : undefined;
    if (!w || w.partyId !== partyId) return;
    clearTimeout(w.timer);
    this.waiting.delete(msg.id);
    w.resolve(Array.isArray(msg.entries) ? msg : { ...msg, entries: [] });
  }
}
