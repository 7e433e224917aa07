// Agreement on broadcasts without trusting the relay, shared by FROST's DKG and DKLs23's DKG and
// refresh (ZF frost issue #577 and its book's echo broadcast; DKLs23 research notes §1.10 item 3).
// The protocols build their own echo payloads (their labels and digest sizes differ,
// protocols/frost/agreement.ts, protocols/dkls23/agreement.ts); checking them is the same:
//  - echo: one digest per party, in index order, of the broadcast that party sent in the previous
//    round (our own included); nothing that depends on those broadcasts is used before every echo
//    equals ours;
//  - confirmation: every party's transcript hash must equal ours before anyone reports success.
import { ProtocolError } from './errors.ts';
import { equalBytes } from './bytes.ts';

/**
 * Compares every received echo with ours; throws 'equivocation' on any difference. Blame, when
 * slot k of j's echo differs from ours:
 *  - k = j (j's own broadcast) or k = us: j is certainly at fault: it sent us, authenticated,
 *    something other than it claims, or it misreports what we sent it;
 *  - otherwise either k showed j and us different broadcasts or j's echo lies. With only
 *    non-transferable authentication (the transport checks signatures; this layer never sees
 *    them) nobody can tell which, so both are named, unless one of them is already certainly at
 *    fault, which explains the difference.
 * The named set therefore always contains the party that cheated. `what` names the broadcasts in
 * the error message.
 */
export function checkEchoes(
  self: number,
  parties: readonly number[],
  mine: Uint8Array,
  echoOf: (party: number) => Uint8Array,
  digestBytes: number,
  what = 'broadcasts',
): void {
  const certain = new Set<number>();
  const pairs: [number, number][] = [];
  for (const j of parties) {
    if (j === self) continue;
    const theirs = echoOf(j);
    parties.forEach((k, pos) => {
      const a = mine.subarray(pos * digestBytes, (pos + 1) * digestBytes);
      const b = theirs.subarray(pos * digestBytes, (pos + 1) * digestBytes);
      if (equalBytes(a, b)) return;
      if (k === j || k === self) certain.add(j);
      else pairs.push([j, k]);
    });
  }
  const culprits = new Set(certain);
  for (const [j, k] of pairs)
    if (!certain.has(j) && !certain.has(k)) {
      culprits.add(j);
      culprits.add(k);
    }
  if (culprits.size) throw new ProtocolError('equivocation', `${what} differ between parties (echo mismatch)`, [...culprits]);
}

/** Every confirmation must equal our transcript hash; the senders of the others are named. */
export function checkConfirmations(self: number, parties: readonly number[], mine: Uint8Array, confirmationOf: (party: number) => Uint8Array): void {
  const culprits = parties.filter((j) => j !== self && !equalBytes(confirmationOf(j), mine));
  if (culprits.length) throw new ProtocolError('equivocation', 'transcript confirmation differs from ours', culprits);
}
