// Why a message could not be decoded. Decoders throw these; evaluate() turns them into a deny whose
// code is the error's code (docs/policies.md "Rules and evaluation": PARSE_ERROR / NONCANONICAL).
// Pure: no I/O.

export type DecodeErrorCode =
  /** The bytes are not a well-formed instance of the format (truncated, wrong field count, too deep …). */
  | 'PARSE_ERROR'
  /** Well-formed, but not the one canonical encoding (leading zeros, long form for a short item, unsorted JSON …). */
  | 'NONCANONICAL'
  /** Recognised, but a variant this engine does not evaluate (e.g. EIP-4844 / EIP-7702 transactions). */
  | 'UNSUPPORTED_FORMAT';

export class DecodeError extends Error {
  constructor(
    readonly code: DecodeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}

export const parseError = (message: string): never => {
  throw new DecodeError('PARSE_ERROR', message);
};
export const noncanonical = (message: string): never => {
  throw new DecodeError('NONCANONICAL', message);
};
