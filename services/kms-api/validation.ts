// Request validation with AWS's error shapes (docs/kms-compatibility.md "Errors"):
// - a member of the wrong JSON type, or a blob that is not strict base64 → SerializationException
//   (no message), as Coral's deserializer does before any constraint is checked;
// - every constraint violation is collected into one ValidationException:
//   `N validation error(s) detected: Value '<v>' at '<camelCaseMember>' failed to satisfy constraint: Member must …`
//   with the value left out for sensitive members (`Value at 'message' …`).
// Unknown members are ignored (newer SDKs send members we do not know, e.g. DryRun in 2023).
import { Ajv, type ErrorObject, type SchemaObject } from 'ajv';
import { serialization, validation } from './errors.ts';

/** How a blob member is constrained once decoded; `sensitive` members never echo their value. */
export type BlobConstraint = { min: number; max: number; sensitive?: boolean };

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
// Annotations read by this module, not by ajv: the pattern text AWS prints (the model's, which may
// differ from the anchored JS regex), and the constraints of base64 blob members.
ajv.addKeyword({ keyword: 'awsPattern', schemaType: 'string' });
ajv.addKeyword({ keyword: 'kmsBlob', schemaType: 'object' });

/** A base64 blob member (checked after decoding; see requestParser). */
export function blob(constraint: BlobConstraint): SchemaObject {
  return { type: 'string', kmsBlob: constraint };
}

/** A string member with a model pattern; `pattern` is the model's regex, matched against the whole value. */
export function patterned(pattern: string, extra: SchemaObject = {}): SchemaObject {
  return { type: 'string', pattern: `^(?:${pattern})$`, awsPattern: pattern, ...extra };
}

/**
 * Compiles a request schema into a parser: JSON object in, typed input out, with every blob member
 * replaced by its decoded bytes. Throws SerializationException or ValidationException.
 */
export function requestParser<T>(schema: SchemaObject): (body: Record<string, unknown>) => T {
  const validate = ajv.compile(schema);
  const blobs = Object.entries((schema.properties ?? {}) as Record<string, SchemaObject>)
    .filter(([, s]) => s.kmsBlob)
    .map(([name, s]) => [name, s.kmsBlob as BlobConstraint] as const);

  return (body) => {
    const input = withoutNulls(body);
    validate(input);
    const errors = validate.errors ?? [];
    if (errors.some((e) => e.keyword === 'type')) throw serialization();

    const decoded: Record<string, Uint8Array> = {};
    for (const [name] of blobs) {
      const value = input[name];
      if (typeof value !== 'string') continue;
      const bytes = decodeBase64Strict(value);
      if (!bytes) throw serialization();
      decoded[name] = bytes;
    }

    const messages = errors.map(describe);
    for (const [name, c] of blobs) {
      const bytes = decoded[name];
      if (!bytes) continue;
      const value = c.sensitive ? 'Value' : `Value 'java.nio.HeapByteBuffer[pos=0 lim=${bytes.length} cap=${bytes.length}]'`;
      const at = `${value} at '${lowerFirst(name)}' failed to satisfy constraint: Member must have length`;
      if (bytes.length < c.min) messages.push(`${at} greater than or equal to ${c.min}`);
      if (bytes.length > c.max) messages.push(`${at} less than or equal to ${c.max}`);
    }
    if (messages.length) {
      throw validation(`${messages.length} validation error${messages.length > 1 ? 's' : ''} detected: ${messages.join('; ')}`);
    }
    return { ...input, ...decoded } as T;
  };
}

/** Standard base64 with padding, canonical (re-encodes to the same text), or null. */
export function decodeBase64Strict(s: string): Uint8Array | null {
  const bytes = Buffer.from(s, 'base64');
  return bytes.toString('base64') === s ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) : null;
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
}

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'required') {
    return `Value null at '${memberPath(e.instancePath, String(p.missingProperty))}' failed to satisfy constraint: Member must not be null`;
  }
  const schema = (e.parentSchema ?? {}) as SchemaObject;
  let constraint: string;
  switch (e.keyword) {
    case 'minLength':
    case 'minItems':
      constraint = `Member must have length greater than or equal to ${String(p.limit)}`;
      break;
    case 'maxLength':
    case 'maxItems':
      constraint = `Member must have length less than or equal to ${String(p.limit)}`;
      break;
    case 'minimum':
      constraint = `Member must have value greater than or equal to ${String(p.limit)}`;
      break;
    case 'maximum':
      constraint = `Member must have value less than or equal to ${String(p.limit)}`;
      break;
    case 'enum':
      constraint = `Member must satisfy enum value set: [${[...(schema.enum as string[])].sort().join(', ')}]`;
      break;
    case 'pattern':
      constraint = `Member must satisfy regular expression pattern: ${schema.awsPattern ?? p.pattern}`;
      break;
    default:
      constraint = `Member must satisfy ${e.keyword}`;
  }
  return `Value ${formatValue(e.data)} at '${memberPath(e.instancePath)}' failed to satisfy constraint: ${constraint}`;
}

/** `/Tags/0/TagKey` → `tags.1.member.tagKey` (AWS member paths: camelCase, 1-based list indices). */
function memberPath(instancePath: string, member?: string): string {
  const parts = instancePath.split('/').slice(1);
  if (member !== undefined) parts.push(member);
  return parts.map((part) => (/^\d+$/.test(part) ? `${Number(part) + 1}.member` : lowerFirst(part))).join('.');
}

function formatValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `'[${v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ')}]'`;
  return `'${typeof v === 'object' ? JSON.stringify(v) : `${v as string | number | boolean}`}'`;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** JSON null members are treated as absent, as the AWS deserializer does. `__proto__` is no member of ours. */
function withoutNulls(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || k === '__proto__') continue;
    out[k] = Array.isArray(v)
      ? v.map((x) => (x !== null && typeof x === 'object' && !Array.isArray(x) ? withoutNulls(x as Record<string, unknown>) : (x as unknown)))
      : v !== null && typeof v === 'object'
        ? withoutNulls(v as Record<string, unknown>)
        : v;
  }
  return out;
}
