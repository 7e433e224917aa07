// Sign, on the party's side (docs/architecture.md "Sign"), top to bottom:
//   open      — a sign 'open' waits for the end of this event-loop turn (group commit);
//   flush     — every open of the turn is checked and decided by the key's signing policy inside
//               ONE policy-store transaction, committed before any of them sends anything;
//   openSign  — the checks (share, request, premake, bans), the policy decision, then either the
//               one-round pre-made FROST signature share (answered at once after the commit) or
//               a two-round FROST / four-round DKLs23 session handed to the session driver;
//   onDone    — the signature goes to the coordinator; FROST then makes the nonce pairs asked for.
// Pre-made commitments of peers are validated ahead (onPeerCommitments).
import { randomBytes } from '@noble/hashes/utils.js';
import { bytesToHex, hexToBytes } from '../../protocols/core/bytes.ts';
import { ProtocolError } from '../../protocols/core/errors.ts';
import { premadeSignatureShare, premakeFrostNonces, type Commitment, type PremadeNonces } from '../../protocols/frost/premade.ts';
import type { FrostKeyShare } from '../../protocols/frost/share.ts';
import { prevalidatePoint } from '../../protocols/frost/codec.ts';
import { frostSuite, type FrostSigningSuiteName, type FrostSuite } from '../../protocols/frost/suite.ts';
import type { EnvelopeMessage, OpenSign, PeerCommitmentsMessage, PremadeSignResult, PresignedSignResult } from '../control/messages.ts';
import { KEY_ID_RE, MAX_PREMAKE } from '../control/messages.ts';
import { SessionKeys } from '../transport/session-keys.ts';
import { checkSignRequest, PROTOCOL_SUITES, RequestRefused } from './request-check.ts';
import { denialMessage } from './policy-gate.ts';
import { dealOnlyRefusal, type ProtocolFamily } from './protocol-families.ts';
import { signAgreementDigest } from './sign-agreement.ts';
import { signingInput } from './signing-input.ts';
import { applyPreimage } from './preimage-request.ts';
import { NoncePool, commitmentFromHex } from './nonce-pool.ts';
import { PresignPool, presignatureReused, takePresignature } from './presign-pool.ts';
import { presignatureShare } from '../../protocols/dkls23/presign.ts';
import type { DklsKeyShare } from '../../protocols/dkls23/keyshare.ts';
import { familyOf, keyFacts, type KeyMeta, type PartyOptions } from './party-options.ts';
import { derivedSigning } from './derived-key.ts';
import type { Running, SessionDriver } from './session-driver.ts';

/** A one-round answer (pre-made FROST share, or DKLs23 online share for a presignature) computed in the policy batch, sent once the batch committed (flush). */
type PremadeAnswer = {
  output: PremadeSignResult | PresignedSignResult;
  protocol: string;
  startedAt: number;
  shareVersion: number;
  premake?: { count: number; share: FrostKeyShare };
};

/** Envelopes kept for a session whose open waits for its policy commit (a few rounds' worth at most). */
const MAX_EARLY_ENVELOPES = 64;

export class PartySign {
  /** Sign opens waiting for this turn's policy commit (flush), with envelopes that came for them meanwhile. */
  private readonly opening = new Map<string, { msg: OpenSign; early: EnvelopeMessage[]; cancelled?: boolean }>();
  private openingScheduled = false;
  /** FROST nonce pairs made ahead (OpenSign.premake), in memory only (nonce-pool.ts). */
  readonly noncePool = new NoncePool();
  /** DKLs23 presignatures made ahead (OpenPresign), in memory only (presign-pool.ts). */
  readonly presignPool = new PresignPool();

  constructor(
    private readonly o: PartyOptions,
    private readonly partyId: string,
    private readonly driver: SessionDriver,
  ) {}

  /**
   * Group commit of the policy decision: every sign open of this event-loop turn is decided in
   * one transaction (flush); nothing of any of them is sent before it committed.
   */
  open(msg: OpenSign): void {
    this.opening.set(msg.session, { msg, early: [] });
    if (!this.openingScheduled) {
      this.openingScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** An envelope for no running session: kept if its open waits for this turn's policy commit. */
  early(msg: EnvelopeMessage): void {
    const opening = this.opening.get(msg.session);
    if (opening && opening.early.length < MAX_EARLY_ENVELOPES) opening.early.push(msg);
    // otherwise a late message for a finished session: nothing to do
  }

  /** The coordinator aborted `session` before its open was decided: it never starts. */
  cancel(session: string): void {
    const opening = this.opening.get(session);
    if (opening) opening.cancelled = true;
  }

  /** The key is being deleted: no open of it waiting for the commit starts, no pair made for it is kept. */
  cancelKey(keyId: string): void {
    for (const opening of this.opening.values()) if (opening.msg.keyId === keyId) opening.cancelled = true;
  }

  /**
   * The sign opens of one event-loop turn: each is checked and decided by the key's signing policy
   * as before (openSign), all inside ONE policy-store transaction — each decision is a savepoint, in
   * arrival order, so each sees the charges of the ones before it — and one commit (one fsync).
   * Only after the commit returned does any of these sessions start; if it fails, every one of them
   * is refused (kind 'internal') and none sends anything. Envelopes that arrived for them meanwhile
   * are handled once they started.
   */
  private flush(): void {
    this.openingScheduled = false;
    const batch = [...this.opening.entries()];
    this.opening.clear();
    if (!batch.length) return;
    const built: ({ active: Running } | { answer: PremadeAnswer } | { err: unknown })[] = [];
    try {
      this.o.policies.batch(() => {
        for (const [id, p] of batch) {
          try {
            if (!this.o.sessionIds.claim(id)) throw new ProtocolError('unexpected', 'session id reused');
            const opened = this.openSign(p.msg, hexToBytes(id));
            built.push('answer' in opened ? opened : { active: opened });
          } catch (err) {
            built.push({ err });
          }
        }
      });
    } catch (err) {
      for (const b of built)
        if ('active' in b) {
          b.active.session.close();
          b.active.keys?.erase();
        }
      const why = new ProtocolError('internal', `the signing-policy decision could not be committed: ${(err as Error)?.message ?? err}`);
      for (const [, p] of batch) this.driver.refuseOpen(p.msg, why);
      return;
    }
    batch.forEach(([id, p], i) => {
      const b = built[i]!;
      if ('err' in b) return this.driver.refuseOpen(p.msg, b.err);
      if ('answer' in b) return this.answerPremade(id, p.msg, b.answer, p.cancelled === true);
      if (p.cancelled) {
        b.active.session.close();
        b.active.keys?.erase();
        return;
      }
      this.driver.start(id, b.active);
      for (const e of p.early) this.driver.receive(e);
    });
  }

  private openSign(msg: OpenSign, sessionId: Uint8Array): Running | { answer: PremadeAnswer } {
    const stored = this.o.shares.getActive(msg.keyId);
    if (!stored) throw new RequestRefused(`no share for key ${msg.keyId}`, 'unknown-key');
    const meta = stored.meta as KeyMeta;
    const family = familyOf(meta.protocol);
    if (family.dealsOnly(stored.share)) throw new RequestRefused(dealOnlyRefusal(msg.keyId));
    // A derived child key: the parent's share moved by the tweak this party computes itself.
    const derived = msg.derive === undefined ? undefined : derivedSigning(msg, meta, stored.share);
    const share = derived ? derived.share : stored.share;
    const index = family.shareFacts(share).index;
    // A DIGEST with its preimage in GrantTokens is decided on the preimage (preimage-request.ts).
    const request = applyPreimage(checkSignRequest(msg, meta, index), PROTOCOL_SUITES[meta.protocol]?.algorithms ?? []);
    const premake = msg.premake === undefined ? 0 : msg.premake;
    if (!Number.isInteger(premake) || premake < 0 || premake > MAX_PREMAKE) throw new RequestRefused(`premake must be 0..${MAX_PREMAKE}`);
    if (premake && family.name !== 'frost') throw new RequestRefused(`${meta.protocol} has no pre-made round`);
    // Pre-made round one: our pair leaves the pool now, used or not; a commitment this party does
    // not hold (it restarted, or the pair was evicted or already used) is refused before the policy
    // decides, so the refusal charges nothing and the coordinator can sign in two rounds instead.
    const premade = msg.premade === undefined ? undefined : this.takePremade(msg, family, index);
    // A derived child never signs over a presignature: the presignature was made for the parent's
    // key, and a tweak chosen after R is known is the related-key attack of Groth–Shoup (EUROCRYPT
    // 2022) that protocols/dkls23/SPEC.md "Presignatures" guards against; the gateway never asks.
    if (msg.derive !== undefined && msg.presignature !== undefined)
      throw new RequestRefused('a derived key signs with the full protocol, not over a presignature');
    // DKLs23 presignature: the same rule — out of the pool now, refused before the policy if absent.
    const presigned = msg.presignature === undefined ? undefined : takePresignature(this.presignPool, msg.keyId, msg.presignature, family.name);
    // A peer this party banned for the key (a failed OT/VOLE check) never signs with it again until
    // a refresh replaced the key's OT state; checked before the policy, so a refusal charges nothing.
    const banned = this.o.bans.ofKey(msg.keyId).filter((b) => msg.signers.includes(b.peerIndex));
    if (banned.length) {
      throw new RequestRefused(
        `key ${msg.keyId}: this party banned ${banned.map((b) => `party ${b.peerIndex} (${b.peerId})`).join(', ')} ` +
          `after a failed consistency check (${banned[0]!.reason}); it signs with them again only after a refresh`,
        'banned',
        banned.map((b) => b.peerIndex),
      );
    }
    // The key's signing policy decides, on the full message, before anything of the session exists;
    // the decision (with its rate-limit charges and audit entry) is committed when this returns.
    const facts = keyFacts(msg.keyId, meta);
    const { decision, agreement } = this.o.policies.decideSign(
      derived ? { ...facts, publicKey: derived.publicKey, derivationPath: derived.path } : facts,
      msg.session,
      request,
      msg.signers,
    );
    if (decision.decision !== 'allow') throw new RequestRefused(denialMessage(decision), 'policy');
    // The revision this party enforces and the sequences it decided: every signer binds its own
    // into its first message, so signers that disagree (a revision withheld from some) abort.
    const context = derived ? derived.bind(signAgreementDigest(agreement)) : signAgreementDigest(agreement);
    // What is signed is what the policy engine derived: its digest for prehashed algorithms (ECDSA:
    // SHA-256 or Keccak-256 of the message, the EIP-712 digest, or a DIGEST as given; Ed25519ph:
    // PH(M)), the message itself for pure EdDSA (signing-input.ts).
    const { suite, input } = signingInput(family, meta.protocol, meta.suite, request.signingAlgorithm, request.message, decision);
    const premakeFor = premake ? { count: premake, share: share as FrostKeyShare } : undefined;
    if (presigned) {
      // The online round (presign.ts): bind the digest the policy derived and the agreement, and
      // consume the presignature's online id in the transaction holding the policy decision.
      const online = presignatureShare({ presignature: presigned, share: share as DklsKeyShare, sessionId, signers: msg.signers, digest: input, context });
      const [used] = this.o.consumed.consumeBatch([{ ids: [online.consumeId], note: `sign ${msg.keyId} session ${msg.session.slice(0, 16)} (presigned)` }]);
      if (used) presignatureReused(online.consumeId);
      return {
        answer: {
          output: { w: bytesToHex(online.w), u: bytesToHex(online.u), request: bytesToHex(online.request) },
          protocol: `${meta.protocol}/sign-presigned`,
          startedAt: Date.now(),
          shareVersion: stored.version,
        },
      };
    }
    if (premade) {
      // RFC 9591 §5.2 sign() over the coordinator's list, now; its nonce id is consumed in the
      // transaction that holds the policy decision (flush commits both at once), and the
      // share leaves only after that commit.
      const answer = premadeSignatureShare({
        share: share as FrostKeyShare,
        sessionId,
        signers: msg.signers,
        message: input,
        own: premade.own,
        commitments: premade.commitments,
        context,
        ...(suite !== meta.suite ? { suite: suite as FrostSigningSuiteName } : {}),
      });
      const [used] = this.o.consumed.consumeBatch([{ ids: [answer.nonceId], note: `sign ${msg.keyId} session ${msg.session.slice(0, 16)} (pre-made)` }]);
      if (used) throw new ProtocolError('nonce-reuse', `pre-made nonce pair ${answer.nonceId.slice(0, 16)}… was already used`);
      return {
        answer: {
          output: { signatureShare: bytesToHex(answer.z), groupCommitment: bytesToHex(answer.R), request: bytesToHex(answer.request) },
          protocol: `${meta.protocol}/sign-premade`,
          startedAt: Date.now(),
          shareVersion: stored.version,
          ...(premakeFor ? { premake: premakeFor } : {}),
        },
      };
    }
    const spec = family.sign({ protocol: meta.protocol, suite, sessionId, self: index, signers: msg.signers, share, input, context });
    const session = this.driver.host(spec, family.signPlacement);
    return {
      kind: 'sign',
      keyId: msg.keyId,
      session,
      family,
      queue: Promise.resolve(),
      shareVersion: stored.version,
      signers: [...msg.signers],
      parties: meta.parties,
      self: index,
      startedAt: Date.now(),
      rounds: 0,
      // FROST signing has broadcast rounds only (RFC 9591 §5): no p2p frame, no session keys.
      ...(family.name === 'frost' ? {} : { keys: new SessionKeys() }),
      onDone: (id, output) => this.onDone(id, msg.keyId, stored.version, output as { signature: Uint8Array }, premakeFor),
    };
  }

  /** The session finished: the signature goes to the coordinator, then the pairs it asked for are made. */
  private onDone(
    id: string,
    keyId: string,
    shareVersion: number,
    out: { signature: Uint8Array },
    premake: { count: number; share: FrostKeyShare } | undefined,
  ): void {
    // FROST: R ‖ z; DKLs23: r ‖ s (low-S) — the coordinator encodes it for the KMS API.
    this.o.send({ type: 'done', session: id, output: { signature: Buffer.from(out.signature).toString('base64') } });
    if (premake) this.premake(keyId, shareVersion, premake);
  }

  /** The pre-made round one of a FROST sign request: the list as given, and our pair, taken from the pool. */
  private takePremade(msg: OpenSign, family: ProtocolFamily, index: number): { own: PremadeNonces; commitments: Commitment[] } {
    if (family.name !== 'frost') throw new RequestRefused('pre-made commitments are for FROST keys only');
    const list = msg.premade;
    if (
      !Array.isArray(list) ||
      list.length !== msg.signers.length ||
      list.some((c) => typeof c !== 'string' || !/^(?:[0-9a-f]{2})+$/.test(c) || c.length % 4 !== 0 || c.length > 1024)
    ) {
      throw new RequestRefused('premade must hold one hex commitment per signer');
    }
    const mine = list[msg.signers.indexOf(index)]!;
    const own = this.noncePool.take(msg.keyId, mine);
    if (!own) throw new RequestRefused(`this party holds no pre-made nonce pair for commitment ${mine.slice(0, 16)}… of key ${msg.keyId}`, 'premade-unknown');
    return { own, commitments: list.map(commitmentFromHex) };
  }

  /**
   * A pre-made FROST signature share, decided and made durable: it goes to the coordinator (which
   * aggregates, protocols/frost/premade.ts) now that the batch holding its policy decision and its
   * nonce id committed; then the pairs the coordinator asked for are made.
   */
  private answerPremade(id: string, msg: OpenSign, a: PremadeAnswer, cancelled: boolean): void {
    this.o.metrics?.sessionDuration.observe({ protocol: a.protocol, outcome: cancelled ? 'abort' : 'done' }, (Date.now() - a.startedAt) / 1000);
    if (!cancelled) {
      this.o.send({ type: 'done', session: id, output: a.output });
    }
    if (a.premake) this.premake(msg.keyId, a.shareVersion, a.premake);
  }

  /**
   * After a FROST signature: make the pairs the coordinator asked for, keep the nonces in the pool
   * and publish the commitments. Started in the turn after the 'done' left, so it costs the request
   * nothing (≈ 0.7 ms per Ed25519 pair: two base multiplications).
   */
  private premake(keyId: string, shareVersion: number | undefined, p: { count: number; share: FrostKeyShare }): void {
    const made = new Promise<PremadeNonces[]>((resolve, reject) =>
      setImmediate(() => {
        try {
          resolve(premakeFrostNonces({ share: p.share, count: p.count, rng: (n) => randomBytes(n) }));
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      }),
    );
    made
      .then((pairs) => {
        // The key may have been deleted or refreshed meanwhile: then nothing is kept or published.
        if (this.o.shares.activeVersion(keyId) !== shareVersion) return;
        const commitments = this.noncePool.add(keyId, pairs);
        this.o.send({ type: 'premade', keyId, commitments });
      })
      .catch((err: unknown) => this.o.log?.(`party ${this.partyId}: could not make nonce pairs for key ${keyId}: ${(err as Error).message}`));
  }

  /**
   * Another signer's pre-made commitments for a key this party holds: validated now (each element
   * fully, as DeserializeElement requires) and remembered by encoding, so that the request naming
   * them does not wait for their subgroup checks. One element per turn of the event loop: a request
   * arriving meanwhile waits for one check at most. Anything invalid is only logged: the request
   * that carries it is refused then.
   */
  onPeerCommitments(msg: PeerCommitmentsMessage): void {
    if (typeof msg.keyId !== 'string' || !KEY_ID_RE.test(msg.keyId) || !Array.isArray(msg.commitments) || msg.commitments.length > MAX_PREMAKE) return;
    if (this.o.shares.activeVersion(msg.keyId) === undefined) return;
    const first = msg.commitments[0];
    const suite = typeof first === 'string' ? FROST_BY_COMMITMENT_HEX[first.length] : undefined;
    if (!suite || msg.commitments.some((c) => typeof c !== 'string' || c.length !== first!.length || !/^[0-9a-f]+$/.test(c))) return;
    const elements = msg.commitments.flatMap((c) => {
      const { hiding, binding } = commitmentFromHex(c);
      return [hiding, binding];
    });
    let bad = 0;
    const next = (i: number): void => {
      if (i === elements.length) {
        if (bad) this.o.log?.(`party ${this.partyId}: key ${msg.keyId}: ${bad} element(s) of a peer's pre-made commitments are invalid`);
        return;
      }
      try {
        prevalidatePoint(suite, elements[i]!, 'pre-made commitment');
      } catch {
        bad++;
      }
      setImmediate(() => next(i + 1));
    };
    setImmediate(() => next(0));
  }
}

/** The FROST suite of a commitment by the length of its hex (D ‖ E: four hex digits per element byte). */
const FROST_BY_COMMITMENT_HEX: Record<number, FrostSuite> = Object.fromEntries(
  (['ed25519', 'ed448'] as const).map((name) => [4 * frostSuite(name).elementBytes, frostSuite(name)]),
);
