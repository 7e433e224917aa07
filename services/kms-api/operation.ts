// What every operation module exports: its AWS name and a handler from the parsed JSON body to the
// response object. The request schema is compiled once, when the module loads.
import type { SchemaObject } from 'ajv';
import type { Caller, KeyService } from './key-service.ts';
import { requestParser } from './validation.ts';

export type OperationContext = { keys: KeyService; caller: Caller };

export type Operation = {
  /** The `X-Amz-Target` suffix, e.g. `Sign`. */
  readonly name: string;
  handle(body: Record<string, unknown>, ctx: OperationContext): Promise<Record<string, unknown>>;
};

/**
 * `I` is the request as the schema admits it, with blob members already decoded to bytes.
 * The schema is the only check of its shape, so keep the two together in the operation's file.
 */
export function defineOperation<I>(name: string, schema: SchemaObject, run: (input: I, ctx: OperationContext) => Promise<Record<string, unknown>>): Operation {
  const parse = requestParser<I>(schema);
  return { name, handle: (body, ctx) => run(parse(body), ctx) };
}
