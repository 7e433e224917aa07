// Whether one rule's conditions hold for a request, in the fixed order of docs/policies.md "Rules and evaluation":
// signingAlgorithm, messageType, messageBytes, caller, time, format. A rule without a format
// condition covers only raw bytes and DIGEST: a parsed format (transaction, typed data, Solana …)
// must be named to be allowed or denied (docs/policies.md "Formats").
import type { ParsedMessage } from '../classify.ts';
import type { CompiledRule } from '../compile.ts';
import { timeMismatch } from '../time.ts';
import type { SignRequest } from '../types.ts';
import { eip712Verdict } from './eip712.ts';
import { evmVerdict } from './evm.ts';
import { eip191Verdict, rawVerdict } from './raw.ts';
import { solanaVerdict } from './solana.ts';
import { inLengthRange } from './values.ts';
import { fails, firstMiss, type Verdict } from './verdict.ts';

function formatVerdict(cr: CompiledRule, parsed: ParsedMessage, request: SignRequest): Verdict {
  const f = cr.rule.conditions.format;
  const effect = cr.rule.effect;
  if (!f) return parsed.kind === 'raw' || parsed.kind === 'digest' ? null : fails(`a ${parsed.kind} message needs a rule that names its format`);
  if (f.kind !== parsed.kind) return fails(`message is ${parsed.kind}, the rule covers ${f.kind}`);
  switch (f.kind) {
    case 'raw':
      return rawVerdict(f, cr.pattern, request.message);
    case 'eip191':
      return eip191Verdict(f, cr.pattern, (parsed as Extract<ParsedMessage, { kind: 'eip191' }>).eip191.message);
    case 'eip712':
      return eip712Verdict(f, (parsed as Extract<ParsedMessage, { kind: 'eip712' }>).eip712, effect);
    case 'evmTransaction':
      return evmVerdict(f, (parsed as Extract<ParsedMessage, { kind: 'evmTransaction' }>).tx, effect);
    case 'solanaMessage':
      return solanaVerdict(f, cr.programs, (parsed as Extract<ParsedMessage, { kind: 'solanaMessage' }>).solana, request.publicKey, effect);
  }
}

export function ruleVerdict(cr: CompiledRule, request: SignRequest, parsed: ParsedMessage, now: number): Verdict {
  const c = cr.rule.conditions;
  return firstMiss(
    () =>
      c.signingAlgorithm && !(c.signingAlgorithm.in as string[]).includes(request.signingAlgorithm)
        ? fails(`algorithm ${request.signingAlgorithm} is not allowed`)
        : null,
    () => (c.messageType && !(c.messageType.in as string[]).includes(request.messageType) ? fails(`message type ${request.messageType} is not allowed`) : null),
    () => (c.messageBytes ? inLengthRange(c.messageBytes, request.message.length, 'message') : null),
    () =>
      c.caller?.accessKeyIds && !c.caller.accessKeyIds.in.includes(request.caller.accessKeyId)
        ? fails(`caller ${request.caller.accessKeyId} is not allowed`)
        : null,
    () =>
      c.caller?.principals && !c.caller.principals.in.includes(request.caller.principal) ? fails(`principal ${request.caller.principal} is not allowed`) : null,
    () => {
      const why = cr.time ? timeMismatch(cr.time, now) : null;
      return why ? fails(`time: ${why}`) : null;
    },
    () => formatVerdict(cr, parsed, request),
  );
}

/** Deny rules match when their conditions hold or cannot be evaluated; allow rules only when they hold. */
export function ruleMatches(effect: 'allow' | 'deny', v: Verdict): boolean {
  return v === null || (effect === 'deny' && v.unknown);
}
