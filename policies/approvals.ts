// Approvals: signatures by approver keys listed IN the policy (never resolved through the
// coordinator), carried through the unmodified AWS SDK in Sign's GrantTokens (≤ 10 strings of
// ≤ 8192 characters) — docs/policies.md "Approvals".
//
// Tokens:     sign   tutti-approval:v2:<approverId>:<approvalId>:<expiresAt ms, decimal>:<signature, base64url, no padding>
//             change tutti-approval:v1:<approverId>:<expiresAt ms, decimal>:<signature, base64url, no padding>
// Statement:  UTF-8 of the RFC 8785 JSON the verifier rebuilds from the request itself, so a token
//             can only ever approve the request it was made for:
//   sign:     {"approvalId","expiresAt","keyId","messageSha256","messageType","policyHash","signingAlgorithm","type":"tutti-sign-approval/2"}
//   change:   {"expiresAt","keyId","policyHash","previousHash","revision","type":"tutti-policy-change/1"}
//   reshare:  {"expiresAt","fromParties","fromThreshold","keyId","parties","policyHash","threshold","type":"tutti-reshare/1"}
//             (a v1 token like a change approval; the statement's type keeps the two apart). It names
//             the quorum the key moves FROM as well as TO, so once the key has moved the approval
//             cannot move it again, and the revision in force (policyHash), so a revision voids it.
//             A sign approval names the policy revision it was made under (the hash of the revision
//             the party enforces: one made under revision k does not count under k+1) and carries an
//             approver-chosen approvalId: each party counts (approverId, approvalId) once per key and
//             records it durably with its decision (EvaluationContext.approvalUsed,
//             Decision.approvalsUsed), so a token cannot be replayed. A change approval needs neither:
//             it names the revision, and a revision is installed once.
// Schemes:    ed25519 — RFC 8032 Ed25519 over the statement bytes (strict, not ZIP-215);
//             secp256k1 — ECDSA over SHA-256(statement), 64-byte compact r‖s, low-S only; 33-byte key.
// Validity:   approver listed in the policy and in the requirement; the token's version is the one
//             of its kind; signature verifies; now < expiresAt ≤ now + maxAgeSeconds (default 1 day);
//             each approver counts once; a sign approval's id was not counted before.
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { canonicalize } from './jcs.ts';
import type { ApprovalRequirement, Approver, MessageType, SigningAlgorithm } from './types.ts';

export const APPROVAL_PREFIX = 'tutti-approval:';
export const MAX_GRANT_TOKENS = 10;
export const MAX_GRANT_TOKEN_LENGTH = 8192;
export const DEFAULT_APPROVAL_MAX_AGE_SECONDS = 86_400;

const enc = new TextEncoder();
const hex = (b: Uint8Array): string => `0x${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;

export function fromHex(text: string): Uint8Array {
  const s = text.startsWith('0x') ? text.slice(2) : text;
  if (!/^([0-9a-fA-F]{2})*$/.test(s)) throw new TypeError('not hex');
  return Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
}

export type SignApprovalSubject = {
  keyId: string;
  message: Uint8Array;
  signingAlgorithm: string;
  messageType: string;
  /** policyHash of the revision the parties enforce when they decide (docs/policies.md "Approvals"). */
  policyHash: string;
};
export type ChangeApprovalSubject = { keyId: string; revision: number; previousHash: string | null; policyHash: string };

/** An approval id: chosen by the approver, fresh for every approval (e.g. 16 random bytes, base64url). */
export const APPROVAL_ID_RE = /^[A-Za-z0-9_-]{8,64}$/;

/** The bytes an approver signs to approve one Sign request, once (`approvalId`), under one policy revision. */
export function signApprovalStatement(s: SignApprovalSubject, approvalId: string, expiresAt: number): Uint8Array {
  return enc.encode(
    canonicalize({
      type: 'tutti-sign-approval/2',
      keyId: s.keyId,
      policyHash: s.policyHash,
      messageSha256: hex(sha256(s.message)),
      signingAlgorithm: s.signingAlgorithm,
      messageType: s.messageType,
      approvalId,
      expiresAt,
    }),
  );
}

/** The bytes an approver signs to approve installing one policy revision. */
export function changeApprovalStatement(s: ChangeApprovalSubject, expiresAt: number): Uint8Array {
  return enc.encode(
    canonicalize({ type: 'tutti-policy-change/1', keyId: s.keyId, revision: s.revision, previousHash: s.previousHash, policyHash: s.policyHash, expiresAt }),
  );
}

/** What a ReshareKey approval approves: the key, from which quorum to which, under which policy revision. */
export type ReshareApprovalSubject = {
  keyId: string;
  /** policyHash of the revision in force at the parties (the one whose governance.reshareApprovals applies). */
  policyHash: string;
  fromThreshold: number;
  /** The key's holders now, in their index order. */
  fromParties: readonly string[];
  threshold: number;
  /** The new holders, in their new index order (ReshareKey's Parties). */
  parties: readonly string[];
};

/** The bytes an approver signs to approve one ReshareKey (docs/policies.md "Approvals"). */
export function reshareApprovalStatement(s: ReshareApprovalSubject, expiresAt: number): Uint8Array {
  return enc.encode(
    canonicalize({
      type: 'tutti-reshare/1',
      keyId: s.keyId,
      policyHash: s.policyHash,
      fromThreshold: s.fromThreshold,
      fromParties: [...s.fromParties],
      threshold: s.threshold,
      parties: [...s.parties],
      expiresAt,
    }),
  );
}

/** version 2 (sign approvals) carries an approvalId; version 1 (policy changes) does not. */
export type ApprovalToken = { version: 1 | 2; approverId: string; approvalId: string | null; expiresAt: number; signature: Uint8Array };

const TOKEN_RE =
  /^tutti-approval:(?:v1:([a-z0-9][a-z0-9._-]{0,62})|v2:([a-z0-9][a-z0-9._-]{0,62}):([A-Za-z0-9_-]{8,64})):(0|[1-9][0-9]{0,15}):([A-Za-z0-9_-]+)$/;

export function encodeApprovalToken(t: ApprovalToken): string {
  const who = t.version === 2 ? `v2:${t.approverId}:${t.approvalId}` : `v1:${t.approverId}`;
  return `${APPROVAL_PREFIX}${who}:${t.expiresAt}:${Buffer.from(t.signature).toString('base64url')}`;
}

/** Parses one token strictly (one spelling per token); null when it is not a well-formed approval. */
export function decodeApprovalToken(token: string): ApprovalToken | null {
  if (token.length > MAX_GRANT_TOKEN_LENGTH) return null;
  const m = TOKEN_RE.exec(token);
  if (!m) return null;
  const expiresAt = Number(m[4]);
  if (!Number.isSafeInteger(expiresAt)) return null;
  const signature = new Uint8Array(Buffer.from(m[5]!, 'base64url'));
  if (Buffer.from(signature).toString('base64url') !== m[5]) return null;
  return m[1] !== undefined
    ? { version: 1, approverId: m[1], approvalId: null, expiresAt, signature }
    : { version: 2, approverId: m[2]!, approvalId: m[3]!, expiresAt, signature };
}

export type ApproverKey = { scheme: Approver['scheme']; publicKey: Uint8Array };

/** Whether `publicKey` is a valid key of the scheme (ed25519: 32 bytes; secp256k1: 33-byte compressed). */
export function validApproverKey(scheme: Approver['scheme'], publicKey: Uint8Array): boolean {
  try {
    if (scheme === 'ed25519') return publicKey.length === 32 && ed25519.utils.isValidPublicKey(publicKey);
    return publicKey.length === 33 && secp256k1.utils.isValidPublicKey(publicKey, true);
  } catch {
    return false;
  }
}

function verifySignature(key: ApproverKey, statement: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    if (key.scheme === 'ed25519') return ed25519.verify(signature, statement, key.publicKey, { zip215: false });
    return secp256k1.verify(signature, statement, key.publicKey, { prehash: true, lowS: true });
  } catch {
    return false;
  }
}

/** One approval that counted: what a party records so that it never counts it again. */
export type CountedApproval = { approverId: string; approvalId: string; expiresAt: number };

export type ApprovalCheck = { ok: boolean; approvedBy: string[]; counted: CountedApproval[]; problems: string[] };

/** Which approvals a check accepts: sign approvals (v2, one-use ids) or policy-change approvals (v1). */
export type ApprovalKind =
  | { kind: 'sign'; statement: (approvalId: string, expiresAt: number) => Uint8Array; used?: (approverId: string, approvalId: string) => boolean }
  | { kind: 'change'; statement: (expiresAt: number) => Uint8Array };

/**
 * Counts the distinct approvers in `requirement` with a valid, unexpired approval among `tokens`.
 * `kind.statement` rebuilds the signed bytes from the request being approved; for sign approvals
 * `kind.used` says whether this party already counted an (approver, approval id) for the key.
 */
export function checkApprovals(
  tokens: readonly string[],
  requirement: ApprovalRequirement,
  approvers: ReadonlyMap<string, ApproverKey>,
  kind: ApprovalKind,
  now: number,
): ApprovalCheck {
  const approvedBy: string[] = [];
  const counted: CountedApproval[] = [];
  const problems: string[] = [];
  const maxAgeMs = (requirement.maxAgeSeconds ?? DEFAULT_APPROVAL_MAX_AGE_SECONDS) * 1000;
  for (const raw of tokens.slice(0, MAX_GRANT_TOKENS)) {
    if (!raw.startsWith(APPROVAL_PREFIX)) continue;
    const t = decodeApprovalToken(raw);
    if (!t) {
      problems.push('malformed approval token');
      continue;
    }
    const key = approvers.get(t.approverId);
    if (!key || !requirement.approvers.includes(t.approverId)) {
      problems.push(`approver '${t.approverId}' is not one of this rule's approvers`);
      continue;
    }
    if (approvedBy.includes(t.approverId)) {
      problems.push(`approver '${t.approverId}' counted once`);
      continue;
    }
    if (kind.kind === 'sign' && t.version !== 2) {
      problems.push(`approval by '${t.approverId}' is a v1 token: a Sign approval is v2 (one-use id, bound to the policy revision)`);
      continue;
    }
    if (kind.kind === 'change' && t.version !== 1) {
      problems.push(`approval by '${t.approverId}' is a Sign approval (v2), not a policy-change approval (v1)`);
      continue;
    }
    if (now >= t.expiresAt) {
      problems.push(`approval by '${t.approverId}' expired`);
      continue;
    }
    if (t.expiresAt > now + maxAgeMs) {
      problems.push(`approval by '${t.approverId}' lives longer than maxAgeSeconds`);
      continue;
    }
    const statement = kind.kind === 'sign' ? kind.statement(t.approvalId!, t.expiresAt) : kind.statement(t.expiresAt);
    if (!verifySignature(key, statement, t.signature)) {
      problems.push(`approval by '${t.approverId}' does not verify for this request${kind.kind === 'sign' ? ' under the policy revision in force' : ''}`);
      continue;
    }
    if (kind.kind === 'sign') {
      if (kind.used?.(t.approverId, t.approvalId!)) {
        problems.push(`approval ${t.approvalId} by '${t.approverId}' was already used (an approval counts once)`);
        continue;
      }
      counted.push({ approverId: t.approverId, approvalId: t.approvalId!, expiresAt: t.expiresAt });
    }
    approvedBy.push(t.approverId);
  }
  if (tokens.length > MAX_GRANT_TOKENS) problems.push(`only the first ${MAX_GRANT_TOKENS} grant tokens are read`);
  return { ok: approvedBy.length >= requirement.threshold, approvedBy, counted, problems };
}

/** Signs a statement with an approver's secret key and returns the grant token (tests, docs, tooling). */
export function signApproval(
  scheme: Approver['scheme'],
  secretKey: Uint8Array,
  approverId: string,
  statement: Uint8Array,
  expiresAt: number,
  approvalId: string | null = null,
): string {
  const signature = scheme === 'ed25519' ? ed25519.sign(statement, secretKey) : secp256k1.sign(statement, secretKey, { prehash: true, lowS: true });
  return encodeApprovalToken(
    approvalId === null ? { version: 1, approverId, approvalId: null, expiresAt, signature } : { version: 2, approverId, approvalId, expiresAt, signature },
  );
}

/**
 * An approval of one Sign request, ready to put into GrantTokens. `approvalId` must be fresh for
 * every approval this approver makes (each party counts it once); `request.policyHash` is the hash of
 * the revision the parties enforce (during an activation delay: the previous revision).
 */
export function createApproval(
  a: { scheme: Approver['scheme']; secretKey: Uint8Array; approverId: string },
  request: SignApprovalSubject & { signingAlgorithm: SigningAlgorithm | string; messageType: MessageType | string },
  expiresAt: number,
  approvalId: string,
): string {
  if (!APPROVAL_ID_RE.test(approvalId)) throw new TypeError('approvalId must be 8–64 characters of [A-Za-z0-9_-]');
  return signApproval(a.scheme, a.secretKey, a.approverId, signApprovalStatement(request, approvalId, expiresAt), expiresAt, approvalId);
}

/** An approval of one policy revision (policy change), for checkPolicyRevision(). */
export function createPolicyChangeApproval(
  a: { scheme: Approver['scheme']; secretKey: Uint8Array; approverId: string },
  change: ChangeApprovalSubject,
  expiresAt: number,
): string {
  return signApproval(a.scheme, a.secretKey, a.approverId, changeApprovalStatement(change, expiresAt), expiresAt);
}

/** An approval of one ReshareKey, for the parties' governance.reshareApprovals check. */
export function createReshareApproval(
  a: { scheme: Approver['scheme']; secretKey: Uint8Array; approverId: string },
  reshare: ReshareApprovalSubject,
  expiresAt: number,
): string {
  return signApproval(a.scheme, a.secretKey, a.approverId, reshareApprovalStatement(reshare, expiresAt), expiresAt);
}
