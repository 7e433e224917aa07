// eip712 conditions, on the decoded typed data only (docs/policies.md "`eip712` — typed data"): domain fields (exact list),
// domain values, primaryType, typeHash, then message field paths.
import type { Eip712Data, TypedNode } from '../decoders/eip712.ts';
import type { Eip712Format, TypedFieldConstraint } from '../types.ts';
import { hexOf, inStringSet, inUintSet, satisfies } from './values.ts';
import { fails, firstMiss, unknown, type Verdict } from './verdict.ts';

function domainValue(data: Eip712Data, field: string): TypedNode | undefined {
  return data.domain.fields.get(field);
}

function domainVerdict(d: NonNullable<Eip712Format['domain']>, data: Eip712Data): Verdict {
  if (d.fields && d.fields.join(',') !== data.domainFields.join(',')) {
    return fails(`EIP712Domain hashes (${data.domainFields.join(', ')}), the rule requires exactly (${d.fields.join(', ')})`);
  }
  for (const k of ['name', 'version', 'chainId', 'verifyingContract', 'salt'] as const) {
    const c = d[k];
    if (!c) continue;
    const v = domainValue(data, k);
    if (!v || v.kind !== 'atom') return unknown(`domain.${k} is not part of the signed domain`);
    const miss =
      k === 'chainId'
        ? inUintSet(c as { in: string[] }, v.num!, 'domain.chainId')
        : k === 'salt'
          ? (c as { in: string[] }).in.includes(v.text)
            ? null
            : fails(`domain.salt ${v.text} is not allowed`)
          : inStringSet(c, v.text, `domain.${k}`);
    if (miss) return miss;
  }
  return null;
}

type Seg = { field: string } | { index: number } | { all: true };

function parsePath(path: string): Seg[] {
  const segs: Seg[] = [];
  for (const m of path.matchAll(/([A-Za-z_$][A-Za-z0-9_$]*)|\[(\*|[0-9]+)\]/g)) {
    if (m[1] !== undefined) segs.push({ field: m[1] });
    else if (m[2] === '*') segs.push({ all: true });
    else segs.push({ index: Number(m[2]) });
  }
  return segs;
}

/** Nodes addressed by the path; null when a step does not exist in the typed value. */
function resolve(root: TypedNode, segs: Seg[]): TypedNode[] | null {
  let nodes: TypedNode[] = [root];
  for (const s of segs) {
    const next: TypedNode[] = [];
    for (const n of nodes) {
      if ('field' in s) {
        if (n.kind !== 'struct' || !n.fields.has(s.field)) return null;
        next.push(n.fields.get(s.field)!);
      } else {
        if (n.kind !== 'array') return null;
        if ('all' in s) next.push(...n.items);
        else if (s.index < n.items.length) next.push(n.items[s.index]!);
        else return null;
      }
    }
    nodes = next;
  }
  return nodes;
}

/** Whether one addressed node satisfies the constraint (null), fails it, or cannot be checked. */
function nodeVerdict(c: TypedFieldConstraint, n: TypedNode): Verdict {
  if (c.op === 'minCount' || c.op === 'maxCount') {
    if (n.kind !== 'array') return unknown(`message.${c.path} is not an array`);
    const limit = Number(c.value);
    return (c.op === 'minCount' ? n.items.length < limit : n.items.length > limit)
      ? fails(`message.${c.path} has ${n.items.length} items (${c.op} ${c.value})`)
      : null;
  }
  if (n.kind !== 'atom') return unknown(`message.${c.path} is not a single value`);
  return satisfies({ op: c.op, value: c.value, values: c.values }, n, `message.${c.path}`);
}

/**
 * `[*]` quantifies by the rule's effect (docs/policies.md "eip712"): in an allow rule EVERY element
 * must satisfy the constraint (an empty array does), in a deny rule ANY element satisfying it makes
 * the condition hold (an empty array does not). With "every" in a deny rule, a recipient blocklist
 * would be bypassed by adding one allowed recipient. Without `[*]` there is one node and both agree.
 */
function fieldVerdict(c: TypedFieldConstraint, message: TypedNode, effect: 'allow' | 'deny'): Verdict {
  const nodes = resolve(message, parsePath(c.path));
  if (nodes === null) return unknown(`message.${c.path} does not exist in the signed message`);
  if (effect === 'allow') {
    for (const n of nodes) {
      const v = nodeVerdict(c, n);
      if (v) return v;
    }
    return null;
  }
  // deny: holds if some element satisfies; else undeterminable (fail closed) if some element could
  // not be checked; else fails.
  let undeterminable: Verdict = null;
  let miss: Verdict = null;
  for (const n of nodes) {
    const v = nodeVerdict(c, n);
    if (v === null) return null;
    if (v.unknown) undeterminable ??= v;
    else miss ??= v;
  }
  return undeterminable ?? miss ?? fails(`message.${c.path} has no element`);
}

export function eip712Verdict(f: Eip712Format, data: Eip712Data, effect: 'allow' | 'deny'): Verdict {
  return firstMiss(
    () => (f.domain ? domainVerdict(f.domain, data) : null),
    () => (f.primaryType ? inStringSet(f.primaryType, data.primaryType, 'primaryType') : null),
    () => (f.typeHash && !f.typeHash.in.includes(hexOf(data.typeHash)) ? fails(`typeHash ${hexOf(data.typeHash)} is not allowed`) : null),
    () => {
      for (const c of f.message ?? []) {
        const v = fieldVerdict(c, data.message, effect);
        if (v) return v;
      }
      return null;
    },
  );
}
