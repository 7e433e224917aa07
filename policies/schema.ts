// Structural validation of a policy document against POLICY_SCHEMA with ajv (draft 2020-12). The
// validator is compiled once per process; ajv's code generation is deterministic and does no I/O.
// Options: strict (unknown keywords are schema bugs), allErrors (report every problem at install
// time), discriminator (format errors point at the right `kind` branch, docs/policies.md "The document").
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { POLICY_SCHEMA } from './policy-schema.ts';

const ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allErrors: true, discriminator: true });
const validate = ajv.compile(POLICY_SCHEMA);

const describe = (e: ErrorObject): string => {
  const extra = e.keyword === 'additionalProperties' ? ` '${String((e.params as { additionalProperty: string }).additionalProperty)}'` : '';
  return `${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}`;
};

/** Returns the schema errors of `doc` (empty when it is structurally valid). */
export function schemaErrors(doc: unknown): string[] {
  if (validate(doc)) return [];
  return (validate.errors ?? []).map(describe);
}
