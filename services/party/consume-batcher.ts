// Group commit of the durable consume (docs/security.md "Nonce consumption": single-use material is marked consumed
// durably BEFORE any output that depends on it leaves the party). Every session whose consume
// becomes due in one event-loop turn joins one batch; the batch is committed in one SQLite
// transaction (one fsync) in the check phase of that turn (setImmediate), after the poll phase
// has handled every frame that arrived. Each caller's promise settles only after the commit
// returned, and the party sends a step's messages (and runs that session's later inputs) only
// once its promise resolved — so nothing of a batched session leaves before its ids are durable.
//
// Per group: a ConsumedError (already consumed) rejects that group's promise only. Any other
// failure of the transaction (I/O error, full disk, a crash in the middle) rolls all of it back
// and rejects every promise of the batch: all its sessions abort, none sends its output.
import type { ConsumedError } from '../storage/consumed-store.ts';

export interface BatchConsumer {
  consumeBatch(groups: readonly { ids: readonly string[]; note?: string }[]): (ConsumedError | undefined)[];
}

type Waiting = { ids: readonly string[]; note: string; resolve: () => void; reject: (e: unknown) => void };

export class ConsumeBatcher {
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(
    private readonly store: BatchConsumer,
    private readonly onCommit?: (groups: number, ms: number) => void,
  ) {}

  /** Resolves once `ids` are durably consumed (with the rest of this turn's batch). */
  consume(ids: readonly string[], note: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ ids, note, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Sessions waiting for the next commit. */
  get pending(): number {
    return this.waiting.length;
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.waiting;
    this.waiting = [];
    if (!batch.length) return;
    const t0 = performance.now();
    let results: (ConsumedError | undefined)[];
    try {
      results = this.store.consumeBatch(batch.map((w) => ({ ids: w.ids, note: w.note })));
      if (results.length !== batch.length) throw new Error(`consume batch answered ${results.length} of ${batch.length} groups`);
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    try {
      this.onCommit?.(batch.length, performance.now() - t0);
    } catch {
      /* metrics only */
    }
    batch.forEach((w, i) => (results[i] ? w.reject(results[i]) : w.resolve()));
  }
}
