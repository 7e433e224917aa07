// Install-time checks and precomputation. compilePolicy() accepts a document only if it passes the
// JSON Schema AND the semantic checks JSON Schema cannot express (docs/policies.md "The document");
// a party refuses a policy it cannot enforce in full, so a policy is never half-installed.
import { fromHex, validApproverKey, type ApproverKey } from './approvals.ts';
import { base58Decode } from './decoders/base58.ts';
import { policyHash } from './hash.ts';
import { Pattern, PatternError } from './pattern.ts';
import { schemaErrors } from './schema.ts';
import { compileTime, type CompiledTime } from './time.ts';
import { ALGORITHMS_BY_KEY_SPEC, FORMATS_BY_KEY_SPEC } from './invariants.ts';
import type { ApprovalRequirement, PolicyDocument, Rule, UintRange } from './types.ts';

export class PolicyInvalid extends Error {
  constructor(readonly errors: string[]) {
    super(`invalid signing policy: ${errors.join('; ')}`);
    this.name = 'PolicyInvalid';
  }
}

export type CompiledRule = {
  rule: Rule;
  time: CompiledTime | null;
  /** utf8Pattern of a raw / eip191 format. */
  pattern: Pattern | null;
  /** solanaMessage: allowed program ids as lower-case hex. */
  programs: Set<string> | null;
};

export type CompiledPolicy = {
  readonly compiled: true;
  readonly document: PolicyDocument;
  readonly hash: string;
  readonly maxMessageBytes: number;
  readonly approvers: ReadonlyMap<string, ApproverKey>;
  readonly rules: readonly CompiledRule[];
  /** Whether some allow rule names DIGEST (invariant I-3). */
  readonly allowsDigest: boolean;
};

/** Default cap on message size before any parsing (docs/policies.md "Rules and evaluation"). */
export const DEFAULT_MAX_MESSAGE_BYTES = 131_072;

const keyHex = (k: Uint8Array): string => Array.from(k, (x) => x.toString(16).padStart(2, '0')).join('');
const DEC = /^-?(0|[1-9][0-9]*)$/;

function rangeErrors(r: UintRange | undefined, where: string, errors: string[]): void {
  if (r?.min !== undefined && r.max !== undefined && BigInt(r.min) > BigInt(r.max)) errors.push(`${where}: min > max`);
}

function semanticErrors(doc: PolicyDocument): string[] {
  const errors: string[] = [];
  const approverIds = new Set<string>();
  for (const a of doc.approvers ?? []) {
    if (approverIds.has(a.id)) errors.push(`approver '${a.id}' is listed twice`);
    approverIds.add(a.id);
    if (!validApproverKey(a.scheme, fromHex(a.publicKey))) errors.push(`approver '${a.id}': publicKey is not a valid ${a.scheme} key`);
  }
  const checkRequirement = (r: ApprovalRequirement, where: string): void => {
    for (const id of r.approvers) if (!approverIds.has(id)) errors.push(`${where}: approver '${id}' is not in approvers`);
    if (r.threshold > r.approvers.length) errors.push(`${where}: threshold ${r.threshold} exceeds ${r.approvers.length} approvers`);
  };
  checkRequirement(doc.governance.changeApprovals, 'governance.changeApprovals');
  if (doc.governance.reshareApprovals) checkRequirement(doc.governance.reshareApprovals, 'governance.reshareApprovals');
  const spec = doc.keyBinding.keySpec;
  const ids = new Set<string>();
  doc.rules.forEach((rule: Rule, i: number) => {
    const at = `rules[${i}] '${rule.id}'`;
    if (ids.has(rule.id)) errors.push(`${at}: rule id is used twice`);
    ids.add(rule.id);
    if (rule.approvals) checkRequirement(rule.approvals, `${at}.approvals`);
    const c = rule.conditions;
    for (const alg of c.signingAlgorithm?.in ?? []) {
      if (!ALGORITHMS_BY_KEY_SPEC[spec].includes(alg)) errors.push(`${at}: ${alg} is not an algorithm of ${spec}`);
    }
    const lr = c.messageBytes;
    if (lr?.min !== undefined && lr.max !== undefined && lr.min > lr.max) errors.push(`${at}.messageBytes: min > max`);
    if (c.time) {
      const t = compileTime(c.time);
      if (c.time.notBefore !== undefined && t.notBefore === null) errors.push(`${at}: notBefore is not a real date`);
      if (c.time.notAfter !== undefined && t.notAfter === null) errors.push(`${at}: notAfter is not a real date`);
      if (t.notBefore !== null && t.notAfter !== null && t.notBefore >= t.notAfter) errors.push(`${at}: notBefore must be before notAfter`);
      for (const w of t.windows ?? []) if (w.start >= w.end) errors.push(`${at}: a UTC window must start before it ends`);
    }
    const f = c.format;
    if (!f) return;
    if (!FORMATS_BY_KEY_SPEC[spec].includes(f.kind)) errors.push(`${at}: format ${f.kind} cannot be signed by a ${spec} key`);
    if (f.kind === 'raw' && c.signingAlgorithm?.in.includes('ECDSA_KECCAK_256'))
      errors.push(`${at}: raw bytes are never signed with ECDSA_KECCAK_256 (invariant I-1)`);
    if ((f.kind === 'raw' || f.kind === 'eip191') && f.utf8Pattern !== undefined) {
      try {
        Pattern.compile(f.utf8Pattern);
      } catch (e) {
        errors.push(`${at}: utf8Pattern: ${e instanceof PatternError ? e.message : String(e)}`);
      }
    }
    if ((f.kind === 'raw' || f.kind === 'eip191') && f.length?.min !== undefined && f.length.max !== undefined && f.length.min > f.length.max) {
      errors.push(`${at}.format.length: min > max`);
    }
    if (f.kind === 'raw') {
      for (const [j, field] of (f.layout ?? []).entries()) {
        for (const h of [field.equalsHex, ...(field.oneOfHex ?? [])]) {
          if (h !== undefined && (h.length - 2) / 2 !== field.length) errors.push(`${at}.layout[${j}]: ${h} is not ${field.length} bytes`);
        }
        rangeErrors(field.uintBigEndian, `${at}.layout[${j}]`, errors);
      }
      if (f.sequence && rule.effect === 'deny') errors.push(`${at}: sequence is only meaningful in an allow rule`);
    }
    if (f.kind === 'evmTransaction') {
      for (const k of ['value', 'gasLimit', 'maxFeePerGas', 'nonce'] as const) rangeErrors(f[k], `${at}.${k}`, errors);
      for (const [j, a] of (f.data?.abi ?? []).entries()) {
        if (f.data?.selectors && !f.data.selectors.in.includes(a.selector)) {
          errors.push(`${at}.data.abi[${j}]: selector ${a.selector} is not in data.selectors (the entry could never apply)`);
        }
        for (const arg of a.args ?? []) {
          const type = a.abi[arg.index];
          if (type === undefined) {
            errors.push(`${at}.data.abi[${j}]: argument ${arg.index} is not in the abi`);
            continue;
          }
          const numeric = ['lt', 'lte', 'gt', 'gte'].includes(arg.constraint.op);
          if (numeric && !type.startsWith('uint')) errors.push(`${at}.data.abi[${j}]: ${arg.constraint.op} needs a uint argument`);
          if (numeric && !DEC.test(arg.constraint.value ?? '')) errors.push(`${at}.data.abi[${j}]: ${arg.constraint.op} needs a decimal value`);
        }
      }
    }
    if (f.kind === 'eip712') {
      const fields = f.domain?.fields;
      for (const k of ['name', 'version', 'chainId', 'verifyingContract', 'salt'] as const) {
        if (f.domain?.[k] !== undefined && fields !== undefined && !fields.includes(k)) {
          errors.push(`${at}: domain.${k} is constrained but not in domain.fields (it would not be hashed)`);
        }
      }
      if (fields) {
        const order = ['name', 'version', 'chainId', 'verifyingContract', 'salt'];
        if (fields.some((x, j) => j > 0 && order.indexOf(x) < order.indexOf(fields[j - 1]!))) errors.push(`${at}: domain.fields must be in EIP-712 order`);
      }
      for (const [j, m] of (f.message ?? []).entries()) {
        if (['lt', 'lte', 'gt', 'gte', 'minCount', 'maxCount'].includes(m.op) && !DEC.test(m.value ?? '')) {
          errors.push(`${at}.message[${j}]: ${m.op} needs a decimal value`);
        }
      }
    }
    if (f.kind === 'solanaMessage') {
      for (const p of f.programs?.allowlist ?? []) if (base58Decode(p, 32) === null) errors.push(`${at}: program '${p}' is not a 32-byte base58 key`);
    }
  });
  return errors;
}

function compileRule(rule: Rule): CompiledRule {
  const f = rule.conditions.format;
  return {
    rule,
    time: rule.conditions.time ? compileTime(rule.conditions.time) : null,
    pattern: (f?.kind === 'raw' || f?.kind === 'eip191') && f.utf8Pattern !== undefined ? Pattern.compile(f.utf8Pattern) : null,
    programs: f?.kind === 'solanaMessage' && f.programs ? new Set(f.programs.allowlist.map((p) => keyHex(base58Decode(p, 32)!))) : null,
  };
}

/** Every reason `doc` cannot be installed (empty when it can). */
export function policyErrors(doc: unknown): string[] {
  const errors = schemaErrors(doc);
  return errors.length > 0 ? errors : semanticErrors(doc as PolicyDocument);
}

/** Validates and precomputes a policy; throws PolicyInvalid listing every problem. */
export function compilePolicy(doc: unknown): CompiledPolicy {
  const errors = policyErrors(doc);
  if (errors.length > 0) throw new PolicyInvalid(errors);
  const document = structuredClone(doc) as PolicyDocument;
  return {
    compiled: true,
    document,
    hash: policyHash(document),
    maxMessageBytes: document.limits?.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    approvers: new Map((document.approvers ?? []).map((a) => [a.id, { scheme: a.scheme, publicKey: fromHex(a.publicKey) }])),
    rules: document.rules.map(compileRule),
    allowsDigest: document.rules.some((r) => r.effect === 'allow' && r.conditions.messageType?.in.includes('DIGEST') === true),
  };
}

export const isCompiled = (p: unknown): p is CompiledPolicy => typeof p === 'object' && p !== null && (p as { compiled?: unknown }).compiled === true;
