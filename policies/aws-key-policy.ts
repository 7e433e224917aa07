// AWS KMS key policies: the JSON document (Version, Id, Statement[]) that decides who may call which
// KMS operation on a key, parsed and evaluated the way AWS's policy engine does for the parts a
// signing service needs. Pure: no I/O, no clock, no environment.
//
// Evaluation (IAM "policy evaluation logic", resource-based policy only, as Tutti has no IAM):
//   - a statement applies when its principal, action, resource and every condition match;
//   - any applicable Deny → explicit deny (wins over everything);
//   - else any applicable Allow → allow;
//   - else implicit deny.
// The account principal (`arn:aws:iam::<account>:root` or the bare 12-digit account) stands for
// every principal of that account — in AWS it delegates to the account's IAM policies, and Tutti
// has none, so delegation means "allowed".
//
// Supported grammar: Version ("2012-10-17" | "2008-10-17"), Id, Statement (object or list); per
// statement Sid, Effect (Allow | Deny), Principal | NotPrincipal ("*" or {AWS: arn | [arns] | "*"};
// Service/Federated/CanonicalUser principals are accepted and never match a caller), Action |
// NotAction (globs with * and ?, case-insensitive), Resource | NotResource ("*" or globs against the
// key ARN), Condition with the String*, Numeric*, Bool, Null and Arn* operators, the `IfExists`
// suffix and the `ForAnyValue:` / `ForAllValues:` prefixes. As AWS documents, a statement without
// Action/NotAction or without Resource/NotResource is accepted but has no effect.
//
// Reserved: two extra top-level members. `TuttiSigningPolicy` carries Tutti's per-key signing policy
// (docs/policies.md: every party evaluates it); `TuttiSigningPolicyChange` carries what a change of
// it needs in PutKeyPolicy (revision, previous hash, approvals). This module only checks that they
// are JSON objects; they are stored and returned verbatim with the rest of the document, and the
// coordinator and the parties interpret them.

export const POLICY_VERSIONS = ['2012-10-17', '2008-10-17'] as const;
export const TUTTI_SIGNING_POLICY = 'TuttiSigningPolicy';
export const TUTTI_SIGNING_POLICY_CHANGE = 'TuttiSigningPolicyChange';

/** A document that is not a key policy; the message says what to fix. */
export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}

type Effect = 'Allow' | 'Deny';

type PrincipalSpec = { any: true } | { any: false; aws: string[] };

type ConditionClause = {
  /** As written, e.g. `ForAnyValue:StringLikeIfExists`. */
  operator: string;
  base: string;
  ifExists: boolean;
  set: 'ForAnyValue' | 'ForAllValues' | null;
  /** Condition key, lowercased (keys are case-insensitive). */
  key: string;
  values: string[];
};

export type Statement = {
  sid: string | undefined;
  effect: Effect;
  principal: PrincipalSpec | undefined;
  notPrincipal: PrincipalSpec | undefined;
  action: string[] | undefined;
  notAction: string[] | undefined;
  resource: string[] | undefined;
  notResource: string[] | undefined;
  conditions: ConditionClause[];
};

export type KeyPolicy = {
  version: string | undefined;
  id: string | undefined;
  statements: Statement[];
  /** The key's signing policy, present only when the document has the member. Not interpreted here. */
  tuttiSigningPolicy?: Record<string, unknown>;
  /** What a signing-policy change carries (PutKeyPolicy); present only when the document has it. */
  tuttiSigningPolicyChange?: Record<string, unknown>;
};

/** What a request looks like to the policy. */
export type PolicyRequest = {
  /** The caller's ARN, e.g. `arn:aws:iam::111122223333:user/alice`. */
  principal: string;
  /** `kms:<Operation>`, e.g. `kms:Sign`. */
  action: string;
  /** The key ARN. */
  resource: string;
  /**
   * Condition keys of this request (names case-insensitive), e.g. `kms:CallerAccount`,
   * `kms:SigningAlgorithm`, `kms:MessageType`. Absent keys are absent, not empty.
   */
  context: Record<string, string>;
};

export type Decision = { effect: 'Allow'; statement: string } | { effect: 'ExplicitDeny'; statement: string } | { effect: 'ImplicitDeny' };

const TOP_LEVEL = new Set(['Version', 'Id', 'Statement', TUTTI_SIGNING_POLICY, TUTTI_SIGNING_POLICY_CHANGE]);
const STATEMENT_MEMBERS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const PRINCIPAL_TYPES = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);
const ACCOUNT_RE = /^\d{12}$/;
const PRINCIPAL_ARN_RE = /^arn:aws[a-z-]*:(iam|sts)::(\d{12}):(root|[A-Za-z-]+\/.+)$/;
const ACTION_RE = /^(\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]+)$/;

/** Negated operators: true when the key is absent (IAM's rule for "not" operators). */
const NEGATED = new Set(['StringNotEquals', 'StringNotEqualsIgnoreCase', 'StringNotLike', 'NumericNotEquals', 'ArnNotEquals', 'ArnNotLike']);
const OPERATORS: Record<string, (actual: string, expected: string) => boolean> = {
  StringEquals: (a, e) => a === e,
  StringNotEquals: (a, e) => a === e,
  StringEqualsIgnoreCase: (a, e) => a.toLowerCase() === e.toLowerCase(),
  StringNotEqualsIgnoreCase: (a, e) => a.toLowerCase() === e.toLowerCase(),
  StringLike: (a, e) => glob(e, false).test(a),
  StringNotLike: (a, e) => glob(e, false).test(a),
  NumericEquals: (a, e) => num(a) === num(e),
  NumericNotEquals: (a, e) => num(a) === num(e),
  NumericLessThan: (a, e) => num(a) < num(e),
  NumericLessThanEquals: (a, e) => num(a) <= num(e),
  NumericGreaterThan: (a, e) => num(a) > num(e),
  NumericGreaterThanEquals: (a, e) => num(a) >= num(e),
  Bool: (a, e) => a.toLowerCase() === e.toLowerCase(),
  ArnEquals: (a, e) => glob(e, false).test(a),
  ArnLike: (a, e) => glob(e, false).test(a),
  ArnNotEquals: (a, e) => glob(e, false).test(a),
  ArnNotLike: (a, e) => glob(e, false).test(a),
};

/**
 * Parses and checks a key policy document.
 * @throws PolicyError with a message naming what is wrong (AWS: MalformedPolicyDocumentException).
 */
export function parseKeyPolicy(text: string): KeyPolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new PolicyError(`The key policy is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(doc)) throw new PolicyError('The key policy must be a JSON object with a Statement element.');
  for (const k of Object.keys(doc)) {
    if (!TOP_LEVEL.has(k))
      throw new PolicyError(
        `The key policy has an unknown top-level element '${k}'. Allowed: Version, Id, Statement, ${TUTTI_SIGNING_POLICY}, ${TUTTI_SIGNING_POLICY_CHANGE}.`,
      );
  }
  const version = doc.Version;
  if (version !== undefined && !(POLICY_VERSIONS as readonly unknown[]).includes(version)) {
    throw new PolicyError(`The policy Version must be one of ${POLICY_VERSIONS.join(', ')}; got ${JSON.stringify(version)}.`);
  }
  if (doc.Id !== undefined && typeof doc.Id !== 'string') throw new PolicyError('The policy Id must be a string.');
  if (doc.Statement === undefined) throw new PolicyError('The key policy has no Statement element.');
  const raw = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  const statements = raw.map((s, i) => parseStatement(s, i + 1));
  const signing = doc[TUTTI_SIGNING_POLICY];
  if (signing !== undefined && !isObject(signing)) throw new PolicyError(`${TUTTI_SIGNING_POLICY} must be a JSON object.`);
  const change = doc[TUTTI_SIGNING_POLICY_CHANGE];
  if (change !== undefined && !isObject(change)) throw new PolicyError(`${TUTTI_SIGNING_POLICY_CHANGE} must be a JSON object.`);
  return {
    version: version as string | undefined,
    id: doc.Id,
    statements,
    ...(signing !== undefined ? { tuttiSigningPolicy: signing } : {}),
    ...(change !== undefined ? { tuttiSigningPolicyChange: change } : {}),
  };
}

function parseStatement(s: unknown, n: number): Statement {
  const where = `Statement ${n}`;
  if (!isObject(s)) throw new PolicyError(`${where} must be a JSON object.`);
  for (const k of Object.keys(s)) {
    if (!STATEMENT_MEMBERS.has(k)) throw new PolicyError(`${where} has an unknown element '${k}'.`);
  }
  if (s.Sid !== undefined && typeof s.Sid !== 'string') throw new PolicyError(`${where}: Sid must be a string.`);
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new PolicyError(`${where}: Effect must be "Allow" or "Deny".`);
  const both = (a: string, b: string) => {
    if (s[a] !== undefined && s[b] !== undefined) throw new PolicyError(`${where} has both ${a} and ${b}; use one.`);
  };
  both('Principal', 'NotPrincipal');
  both('Action', 'NotAction');
  both('Resource', 'NotResource');
  if (s.Principal === undefined && s.NotPrincipal === undefined) throw new PolicyError('Policy contains a statement with no principal.');
  const actions = (k: string) => {
    const list = stringList(s[k], `${where}: ${k}`);
    for (const a of list ?? [])
      if (!ACTION_RE.test(a)) throw new PolicyError(`${where}: ${k} '${a}' is not of the form 'kms:<Operation>' (wildcards * and ? allowed).`);
    return list;
  };
  return {
    sid: s.Sid,
    effect: s.Effect,
    principal: s.Principal === undefined ? undefined : parsePrincipal(s.Principal, where),
    notPrincipal: s.NotPrincipal === undefined ? undefined : parsePrincipal(s.NotPrincipal, where),
    action: actions('Action'),
    notAction: actions('NotAction'),
    resource: stringList(s.Resource, `${where}: Resource`),
    notResource: stringList(s.NotResource, `${where}: NotResource`),
    conditions: s.Condition === undefined ? [] : parseConditions(s.Condition, where),
  };
}

function parsePrincipal(p: unknown, where: string): PrincipalSpec {
  if (p === '*') return { any: true };
  if (!isObject(p) || Object.keys(p).length === 0) {
    throw new PolicyError(`${where}: Principal must be "*" or an object such as {"AWS": "arn:aws:iam::111122223333:root"}.`);
  }
  const aws: string[] = [];
  for (const [type, value] of Object.entries(p)) {
    if (!PRINCIPAL_TYPES.has(type)) throw new PolicyError(`${where}: unknown principal type '${type}'.`);
    const list = stringList(value, `${where}: Principal ${type}`) ?? [];
    if (list.length === 0) throw new PolicyError('Policy contains a statement with one or more invalid principals.');
    if (type !== 'AWS') continue;
    for (const arn of list) {
      if (arn !== '*' && !ACCOUNT_RE.test(arn) && !PRINCIPAL_ARN_RE.test(arn)) {
        throw new PolicyError('Policy contains a statement with one or more invalid principals.');
      }
      aws.push(arn);
    }
  }
  return aws.includes('*') ? { any: true } : { any: false, aws };
}

function parseConditions(c: unknown, where: string): ConditionClause[] {
  if (!isObject(c)) throw new PolicyError(`${where}: Condition must be an object of operators.`);
  const out: ConditionClause[] = [];
  for (const [operator, block] of Object.entries(c)) {
    const m = /^(?:(ForAnyValue|ForAllValues):)?([A-Za-z]+?)(IfExists)?$/.exec(operator);
    const base = m?.[2];
    if (!m || !base || (!OPERATORS[base] && base !== 'Null')) {
      throw new PolicyError(
        `${where}: unknown condition operator '${operator}'. Supported: ${[...Object.keys(OPERATORS), 'Null'].join(', ')} (with IfExists, ForAnyValue:, ForAllValues:).`,
      );
    }
    if (!isObject(block) || Object.keys(block).length === 0) throw new PolicyError(`${where}: Condition ${operator} must map condition keys to values.`);
    for (const [key, raw] of Object.entries(block)) {
      const values = (Array.isArray(raw) ? raw : [raw]).map((v) => {
        if (typeof v === 'string') return v;
        if (typeof v === 'number' || typeof v === 'boolean') return String(v);
        throw new PolicyError(`${where}: Condition ${operator} ${key} values must be strings, numbers or booleans.`);
      });
      if (values.length === 0) throw new PolicyError(`${where}: Condition ${operator} ${key} has no values.`);
      if (base.startsWith('Numeric') && values.some((v) => Number.isNaN(num(v)))) {
        throw new PolicyError(`${where}: Condition ${operator} ${key} needs numeric values.`);
      }
      out.push({ operator, base, ifExists: m[3] !== undefined, set: (m[1] as ConditionClause['set']) ?? null, key: key.toLowerCase(), values });
    }
  }
  return out;
}

/** Decides a request against a parsed policy. */
export function evaluate(policy: KeyPolicy, req: PolicyRequest): Decision {
  const context = new Map(Object.entries(req.context).map(([k, v]) => [k.toLowerCase(), v]));
  let allow: string | undefined;
  for (let i = 0; i < policy.statements.length; i++) {
    const s = policy.statements[i]!;
    if (!applies(s, req, context)) continue;
    const name = s.sid ?? `#${i + 1}`;
    if (s.effect === 'Deny') return { effect: 'ExplicitDeny', statement: name };
    allow ??= name;
  }
  return allow !== undefined ? { effect: 'Allow', statement: allow } : { effect: 'ImplicitDeny' };
}

function applies(s: Statement, req: PolicyRequest, context: Map<string, string>): boolean {
  if (s.principal && !principalMatches(s.principal, req.principal)) return false;
  if (s.notPrincipal && principalMatches(s.notPrincipal, req.principal)) return false;
  if (s.action) {
    if (!s.action.some((a) => glob(a, true).test(req.action))) return false;
  } else if (s.notAction) {
    if (s.notAction.some((a) => glob(a, true).test(req.action))) return false;
  } else return false;
  if (s.resource) {
    if (!s.resource.some((r) => glob(r, false).test(req.resource))) return false;
  } else if (s.notResource) {
    if (s.notResource.some((r) => glob(r, false).test(req.resource))) return false;
  } else return false;
  return s.conditions.every((c) => conditionHolds(c, context.get(c.key)));
}

function principalMatches(p: PrincipalSpec, caller: string): boolean {
  if (p.any) return true;
  const account = accountOf(caller);
  return p.aws.some((entry) => {
    if (ACCOUNT_RE.test(entry)) return entry === account;
    const m = PRINCIPAL_ARN_RE.exec(entry);
    if (m && m[3] === 'root') return m[2] === account;
    return entry === caller;
  });
}

function conditionHolds(c: ConditionClause, actual: string | undefined): boolean {
  if (c.base === 'Null') {
    // {"Null": {"key": "true"}}: the key must be absent; "false": it must be present.
    return c.values.some((v) => (v.toLowerCase() === 'true') === (actual === undefined));
  }
  if (actual === undefined) {
    if (c.ifExists) return true;
    if (c.set === 'ForAllValues') return true; // every value of an empty set matches
    if (c.set === 'ForAnyValue') return false;
    return NEGATED.has(c.base);
  }
  const test = OPERATORS[c.base]!;
  const anyMatch = c.values.some((v) => test(actual, v));
  return NEGATED.has(c.base) ? !anyMatch : anyMatch;
}

/** The 12-digit account of a principal ARN, or undefined. */
export function accountOf(principalArn: string): string | undefined {
  return PRINCIPAL_ARN_RE.exec(principalArn)?.[2];
}

/** Whether `principal` is an ARN this module can place in an account. */
export function isPrincipalArn(principal: string): boolean {
  return PRINCIPAL_ARN_RE.test(principal);
}

/** AWS's wording for a refused request (as seen from real KMS). */
export function accessDeniedMessage(req: Pick<PolicyRequest, 'principal' | 'action' | 'resource'>, decision: Decision): string {
  const head = `User: ${req.principal} is not authorized to perform: ${req.action} on resource: ${req.resource}`;
  return decision.effect === 'ExplicitDeny'
    ? `${head} with an explicit deny in a resource-based policy`
    : `${head} because no resource-based policy allows the ${req.action} action`;
}

/**
 * The policy AWS attaches when CreateKey has no Policy: the account (every principal of it, here)
 * may do everything with the key. Formatted as AWS returns it from GetKeyPolicy.
 */
export function defaultKeyPolicy(accountId: string): string {
  return [
    '{',
    '  "Version" : "2012-10-17",',
    '  "Id" : "key-default-1",',
    '  "Statement" : [ {',
    '    "Sid" : "Enable IAM User Permissions",',
    '    "Effect" : "Allow",',
    '    "Principal" : {',
    `      "AWS" : "arn:aws:iam::${accountId}:root"`,
    '    },',
    '    "Action" : "kms:*",',
    '    "Resource" : "*"',
    '  } ]',
    '}',
  ].join('\n');
}

function stringList(v: unknown, where: string): string[] | undefined {
  if (v === undefined) return undefined;
  const list = Array.isArray(v) ? v : [v];
  if (list.some((x) => typeof x !== 'string')) throw new PolicyError(`${where} must be a string or a list of strings.`);
  return list as string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function num(v: string): number {
  return v.trim() === '' ? Number.NaN : Number(v);
}

const globs = new Map<string, RegExp>();
/** IAM wildcard matching: `*` any run, `?` one character; the whole value must match. */
function glob(pattern: string, ignoreCase: boolean): RegExp {
  const cacheKey = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let re = globs.get(cacheKey);
  if (!re) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    if (globs.size > 1000) globs.clear();
    globs.set(cacheKey, re);
  }
  return re;
}
