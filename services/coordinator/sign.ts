// Sign, the coordinator's side, top to bottom (docs/architecture.md "Sign"): resolve the key →
// the key policy allows kms:Sign → the key is usable → the algorithm and message suit it → pick t
// connected signers no one of which banned another → open a signing session with the full request
// (each party evaluates the key's signing policy itself) → check the signature before it leaves →
// on a party that does not answer, or a ban learned from the session, try again with another set.
//
// FROST keys sign in one round when every signer has a pre-made commitment in stock
// (premade-stock.ts): the signers answer with signature shares, this coordinator aggregates and
// verifies them (RFC 9591 §5.3); if that fails, the request is signed again in two rounds, where
// every signer checks every share (§5.4). The stock is filled by the parties' 'premade' messages
// (onPremade below), and each Sign asks its signers to make more (OpenSign.premake).
import type { FailureKind } from '../../protocols/core/errors.ts';
import type { Caller, KeyRecord } from '../kms-api/key-service.ts';
import { dryRun, internal, keyUnavailable } from '../kms-api/errors.ts';
import { awaitDevices, devicesOfflineMessage } from './device-parties.ts';
import type { StoredKey } from '../storage/key-repository.ts';
import { MAX_PREMAKE, type PremadeSignResult, type SignResult } from '../control/messages.ts';
import { aggregatePremadeShares } from '../../protocols/frost/premade.ts';
import { isFrostSuiteName } from '../../protocols/frost/suite.ts';
import { fromHex } from '../../protocols/core/bytes.ts';
import { KEY_SPECS, apiSignature, verifyIssued, verifySignature, type KeySpecInfo } from './key-specs.ts';
import { SessionFailed } from './session-runner.ts';
import { combinePresigned, refillPresigns, signerSetKey } from './presign-stock.ts';
import { UUID_RE, keyForMessage, keyRecord } from './key-access.ts';
import type { CoordinatorContext } from './context.ts';
import { signingTarget } from './derive-key.ts';

export type SignRequest = {
  keyId: string;
  message: Uint8Array;
  messageType: 'RAW' | 'DIGEST';
  signingAlgorithm: string;
  grantTokens?: string[];
  dryRun?: boolean;
};

export async function sign(ctx: CoordinatorContext, req: SignRequest, caller: Caller): Promise<{ key: KeyRecord; signature: Uint8Array }> {
  const { o, access, bans } = ctx;
  const { k: key, spec, spki } = await keyForMessage(access, 'Sign', caller, req);
  // A derived key signs with its parent's shares (derive-key.ts): `k` is the key whose shares,
  // parties and bans the session uses; `key` is the one the caller named, whose SPKI checks it.
  const { shareKey: k, derive } = await signingTarget(ctx, key);
  if (req.dryRun) {
    // Everything a real call checks here, short of asking the parties (whose own policy check
    // needs a session): enough of them must be connected, and not banned from signing together.
    const choice = bans.choose(k, new Set());
    if ('unavailable' in choice) throw keyUnavailable(choice.unavailable);
    throw dryRun();
  }

  // A key with a device party: when too few of its parties are online, wait (bounded) for its
  // offline devices — the wallet app may be opening (docs/waas.md).
  if (o.devices && k.parties.some((p) => o.devices!.has(p)) && 'unavailable' in bans.choose(k, new Set())) {
    const waitMs = o.deviceWaitMs ?? 10_000;
    const offline = await awaitDevices(k.parties, o.devices, o.isConnected, waitMs);
    if (offline.length && 'unavailable' in bans.choose(k, new Set())) throw keyUnavailable(devicesOfflineMessage('Sign', offline, waitMs));
  }

  // Pick t connected parties; if one does not answer, try again without it (design: Sign flow).
  // A set in which one party banned another is never picked; a ban learned from this request's
  // own session (a 'banned' abort) makes the next attempt avoid that pair.
  const excluded = new Set<number>();
  let lastError: unknown;
  let timeouts = 0;
  // FROST: one round when every signer has a pre-made commitment in stock; a signer that no
  // longer holds its pair (it restarted) refuses before its policy decides, and the attempt is
  // made again in two rounds (once per request).
  let premadeAllowed = spec.scheme === 'eddsa' && !derive;
  // DKLs23: one round when the chosen signer set has a presignature in stock (presign-stock.ts);
  // any failure of that round signs again with the full protocol (once per request). A derived
  // child signs with the full protocol: its presignatures would need the child's tweak bound in
  // (protocols/dkls23/SPEC.md "Presignatures"), which the one-round path does not carry yet.
  let presignAllowed = spec.scheme === 'ecdsa' && !derive;
  for (let attempt = 0; attempt < 3 + k.parties.length * k.parties.length && timeouts < 3; attempt++) {
    const choice = bans.choose(k, excluded);
    if ('unavailable' in choice) {
      // After a failed attempt, its failure (e.g. a round that timed out) is the reason to report.
      if (lastError !== undefined && !(lastError instanceof SessionFailed && lastError.failure.kind === 'banned')) throw access.sessionError(lastError, 'Sign');
      throw keyUnavailable(choice.unavailable);
    }
    const signers = choice.signers;
    const members = new Map(signers.map(({ p, i }) => [i, p]));
    const indices = signers.map(({ i }) => i);
    const premade = premadeAllowed
      ? ctx.premade.take(
          k.keyId,
          signers.map(({ p }) => p),
        )
      : undefined;
    const presigned = presignAllowed ? ctx.presigns.take(k.keyId, signerSetKey(members)) : undefined;
    // The refill (presign-stock.ts) of a Sign that took a presignature starts once this attempt is
    // over: its first round would otherwise reach the signers right behind the one-round open and
    // be computed before it (a presign round is tens of ms of CPU per signer, the online share ≈ 1
    // ms; docs/benchmarks.md "One verification"). With no presignature in stock it starts now,
    // beside the full protocol's four rounds, so that the next Sign finds one.
    if (presignAllowed && !presigned) setImmediate(() => refillPresigns(ctx, k, spec, members));
    try {
      const outputs = await o.runner.run(`${spec.protocol}/${premade ? 'sign-premade' : presigned ? 'sign-presigned' : 'sign'}`, members, (session, index) => ({
        type: 'open',
        kind: 'sign',
        session,
        keyId: k.keyId,
        signers: indices,
        // The full request: each party evaluates the key's signing policy on it, GrantTokens (approvals) included.
        request: {
          message: Buffer.from(req.message).toString('base64'),
          messageType: req.messageType,
          signingAlgorithm: req.signingAlgorithm,
          caller: { accessKeyId: caller.accessKeyId, principal: caller.principal },
          grantTokens: req.grantTokens ?? [],
        },
        ...(premade ? { premade } : {}),
        ...(presigned ? { presignature: presigned.id } : {}),
        ...premakeOf(spec.scheme === 'eddsa' && !derive ? ctx.premade.ask(k.keyId, members.get(index)!) : 0),
        ...(derive ? { derive } : {}),
      }));
      // Every signature is checked before it is returned (key-specs.ts verifySignature: node:crypto
      // where it can, noble over the digest otherwise); an ECDSA signature must also be low-S.
      if (premade) {
        // RFC 9591 §5.3: this coordinator aggregates the shares and verifies the signature.
        const signature = aggregatePremade(spec, members, outputs);
        if (signature.ok && verifySignature(spec, spki, req, signature.signature)) {
          return { key: keyRecord(key), signature: signature.signature };
        }
        // Shares that do not combine: sign again in two rounds, where every signer checks every
        // share (§5.4) and a signer that cheats again is named.
        o.log?.(
          `sign ${k.keyId}: the pre-made signature shares ${signature.ok ? 'do not combine into a valid signature' : `were refused: ${signature.why}`}; signing again in two rounds`,
        );
        ctx.premade.dropKey(k.keyId);
        premadeAllowed = false;
        continue;
      }
      if (presigned) {
        // presign.ts: this coordinator combines the online shares (unverified), and THIS is the one
        // verification of that signature (key-specs.ts verifyIssued: OpenSSL for RAW
        // ECDSA_SHA_256, noble over the digest otherwise; low-S): nothing is returned unless it
        // passes. Only if it fails are the shares checked against the presigned images, to name
        // the signer whose share is wrong.
        const combined = combinePresigned(presigned, req, outputs);
        const signature = combined.ok ? apiSignature(spec, combined.signature) : null;
        if (signature && verifyIssued(spec, spki, req, signature)) return { key: keyRecord(k), signature };
        const culprits = signature && combined.ok ? combined.culprits() : [];
        o.log?.(
          `sign ${k.keyId}: the presigned shares ${combined.ok ? `do not verify${culprits.length ? ` (the shares of ${culprits.join(', ')} do not match their presignatures)` : ''}` : `were refused: ${combined.why}`}; signing again with the full protocol`,
        );
        ctx.presigns.dropKey(k.keyId);
        presignAllowed = false;
        continue;
      }
      for (const out of outputs.values()) {
        const signature = apiSignature(spec, new Uint8Array(Buffer.from((out as SignResult).signature, 'base64')));
        // One verification, as for a presigned signature (verifyIssued: OpenSSL for RAW
        // ECDSA_SHA_256, noble with the key's tables otherwise; low-S): the signers each verified
        // it already (protocols/dkls23/sign.ts), and this check is the gateway's own.
        if (signature && verifyIssued(spec, spki, req, signature)) {
          return { key: keyRecord(key), signature };
        }
      }
      throw internal('The parties returned no valid signature.');
    } catch (err) {
      lastError = err;
      if (err instanceof SessionFailed && (err.failure.kind === 'timeout' || err.failure.kind === 'unavailable') && err.failure.unresponsive.length) {
        timeouts++;
        for (const i of err.failure.unresponsive) excluded.add(i);
        o.log?.(`sign ${k.keyId}: retrying without parties ${[...excluded].join(', ')}`);
        continue;
      }
      if (err instanceof SessionFailed && err.failure.kind === 'banned' && bans.learn(k, err.failure)) continue;
      if (
        presigned &&
        err instanceof SessionFailed &&
        !new Set<FailureKind>(['policy', 'throttled', 'timeout', 'unavailable', 'banned']).has(err.failure.kind)
      ) {
        // Typically 'premade-unknown': a signer restarted and lost its presignatures.
        ctx.presigns.dropKey(k.keyId);
        presignAllowed = false;
        o.log?.(`sign ${k.keyId}: the presigned attempt failed (${err.failure.kind}: ${err.failure.message}); signing with the full protocol`);
        continue;
      }
      if (premade && err instanceof SessionFailed && !new Set<FailureKind>(['policy', 'throttled', 'timeout', 'unavailable', 'banned']).has(err.failure.kind)) {
        // Typically 'premade-unknown': a signer no longer holds its pair (it restarted). A policy
        // denial is final, and is not asked again (it would be charged twice).
        ctx.premade.dropKey(k.keyId);
        premadeAllowed = false;
        o.log?.(`sign ${k.keyId}: the pre-made attempt failed (${err.failure.kind}: ${err.failure.message}); signing in two rounds`);
        continue;
      }
      throw access.sessionError(err, 'Sign');
    } finally {
      // presignAllowed is false after a failed presigned attempt: its stock was dropped, and the
      // next Sign refills it.
      if (presigned && presignAllowed) setImmediate(() => refillPresigns(ctx, k, spec, members));
    }
  }
  throw access.sessionError(lastError, 'Sign');
}

/** The signers' pre-made answers (PremadeSignResult), aggregated (protocols/frost/premade.ts): R ‖ Σ z_i, or why not. */
function aggregatePremade(
  spec: KeySpecInfo,
  members: Map<number, string>,
  outputs: Map<number, unknown>,
): { ok: true; signature: Uint8Array } | { ok: false; why: string } {
  try {
    const suite = spec.protocol.replace(/^frost-/, '');
    if (!isFrostSuiteName(suite)) return { ok: false, why: `${spec.protocol} has no pre-made signatures` };
    const hex = (v: unknown, what: string, index: number): Uint8Array => fromHex(v as string, `party ${index} (${members.get(index)}): ${what}`);
    const answers = [...outputs].map(([index, out]) => {
      const o = out as Partial<PremadeSignResult>;
      return {
        index,
        z: hex(o.signatureShare, 'signature share', index),
        R: hex(o.groupCommitment, 'group commitment', index),
        request: hex(o.request, 'request digest', index),
      };
    });
    return { ok: true, signature: aggregatePremadeShares(suite, answers) };
  } catch (err) {
    return { ok: false, why: (err as Error).message };
  }
}

/** OpenSign.premake: the pairs a signer is asked to make once this signature is done (PremadeStock.ask). */
function premakeOf(n: number): { premake?: number } {
  return n > 0 ? { premake: Math.min(n, MAX_PREMAKE) } : {};
}

// --- the stock of pre-made commitments ------------------------------------------------------

/**
 * A party published commitments of nonce pairs it made for a key ('premade'). Kept only for a
 * FROST key of which the party is a party, and only well-formed (hex D ‖ E of the suite's size);
 * the signers validate every element themselves when a request carries it.
 */
export async function onPremade(ctx: CoordinatorContext, partyId: string, msg: { keyId?: unknown; commitments?: unknown }): Promise<void> {
  if (typeof msg.keyId !== 'string' || !UUID_RE.test(msg.keyId) || !Array.isArray(msg.commitments) || msg.commitments.length > MAX_PREMAKE) return;
  const k: StoredKey | undefined = await ctx.o.keys.get(msg.keyId);
  const spec = k && KEY_SPECS[k.keySpec];
  if (!k || !spec || spec.scheme !== 'eddsa' || !k.parties.includes(partyId) || k.keyState !== 'Enabled') return;
  const hexLength = 4 * spec.publicKeyBytes;
  if (msg.commitments.some((c) => typeof c !== 'string' || c.length !== hexLength || !/^[0-9a-f]+$/.test(c))) return;
  ctx.premade.add(k.keyId, partyId, msg.commitments as string[]);
  // The parties this one will sign with next (the first t connected, as SignerBans.choose picks
  // them) validate its commitments now rather than when a request names them.
  const choice = ctx.bans.choose(k, new Set());
  if ('signers' in choice && choice.signers.some(({ p }) => p === partyId)) {
    for (const { p } of choice.signers) {
      if (p !== partyId) ctx.o.send?.(p, { type: 'peer-commitments', keyId: k.keyId, commitments: msg.commitments as string[] });
    }
  }
}

/** A party's link dropped: if it restarted, its pre-made pairs are gone. */
export function onPartyDisconnected(ctx: CoordinatorContext, partyId: string): void {
  ctx.premade.dropParty(partyId);
  ctx.presigns.dropParty(partyId);
}
