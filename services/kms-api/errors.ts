// AWS KMS errors as they appear on the wire: `{"__type": <name>, "message": <text>}` plus an HTTP
// status (docs/kms-compatibility.md "Errors"). Real KMS answers 400 for every client error, whatever the Smithy
// model says; SDKs pick the error class from `__type`, never from the status.

export class KmsError extends Error {
  /** Whether a message was given; some types never carry one on the wire (see ERRORS). */
  readonly hasMessage: boolean;

  constructor(
    public readonly type: string,
    message?: string,
  ) {
    super(message ?? '');
    this.name = type;
    this.hasMessage = message !== undefined;
  }
}

type ErrorInfo = { status: number; message: boolean };
const client: ErrorInfo = { status: 400, message: true };
const bare: ErrorInfo = { status: 400, message: false };

/**
 * The one table from error type to HTTP status and whether the body carries `message`.
 * `message: false` types are answered as `{"__type": …}` only, as AWS does (docs/kms-compatibility.md "Errors"). Types not listed
 * are client errors (400, message kept).
 */
export const ERRORS: Readonly<Record<string, ErrorInfo>> = {
  // request framing and validation
  ValidationException: client,
  SerializationException: bare,
  UnknownOperationException: bare,
  UnsupportedOperationException: client,
  // SigV4 (docs/kms-compatibility.md "Wire protocol")
  MissingAuthenticationTokenException: client,
  IncompleteSignatureException: client,
  InvalidSignatureException: client,
  UnrecognizedClientException: client,
  // keys and their state
  NotFoundException: client,
  InvalidArnException: client,
  DisabledException: client,
  KMSInvalidStateException: client,
  InvalidKeyUsageException: client,
  KMSInvalidSignatureException: bare,
  InvalidCiphertextException: bare,
  InvalidMarkerException: client,
  InvalidGrantTokenException: client,
  AlreadyExistsException: client,
  NotAuthorizedException: client,
  TagException: client,
  MalformedPolicyDocumentException: client,
  AccessDeniedException: client,
  DryRunOperationException: client,
  LimitExceededException: client,
  // ImportKeyShares (Tutti extension): the split's manifest or a bundle does not fit
  IncorrectKeyMaterialException: client,
  ThrottlingException: client,
  // server side: retried by every SDK
  KMSInternalException: { status: 500, message: true },
  KeyUnavailableException: { status: 500, message: true },
  DependencyTimeoutException: { status: 503, message: true },
};

export function errorStatus(type: string): number {
  return ERRORS[type]?.status ?? 400;
}

/** The JSON body for an error. */
export function errorBody(err: KmsError): { __type: string; message?: string } {
  const withMessage = err.hasMessage && (ERRORS[err.type]?.message ?? true);
  return withMessage ? { __type: err.type, message: err.message } : { __type: err.type };
}

// Constructors the coordinator and the operations throw. Messages follow AWS's wording (docs/kms-compatibility.md "Errors").

/** NotFoundException with the message as given, e.g. `Invalid keyId 'x'` or `Invalid arn eu-west-1`. */
export const notFound = (message: string) => new KmsError('NotFoundException', message);
/** NotFoundException for a well-formed id or ARN that names no key. */
export const keyNotFound = (arn: string) => notFound(`Key '${arn}' does not exist`);
export const disabled = (arn: string) => new KmsError('DisabledException', `${arn} is disabled.`);
export const invalidState = (message: string) => new KmsError('KMSInvalidStateException', message);
export const invalidKeyUsage = (message: string) => new KmsError('InvalidKeyUsageException', message);
export const validation = (message: string) => new KmsError('ValidationException', message);
export const unsupported = (message?: string) => new KmsError('UnsupportedOperationException', message);
export const invalidMarker = (message: string) => new KmsError('InvalidMarkerException', message);
export const tagError = (message: string) => new KmsError('TagException', message);
export const malformedPolicy = (message: string) => new KmsError('MalformedPolicyDocumentException', message);
export const accessDenied = (message: string) => new KmsError('AccessDeniedException', message);
export const alreadyExists = (message: string) => new KmsError('AlreadyExistsException', message);
export const notAuthorized = (message?: string) => new KmsError('NotAuthorizedException', message);
/** A quota. Note: SDKs treat LimitExceededException as throttling and retry it (docs/kms-compatibility.md "Errors"). */
export const limitExceeded = (message: string) => new KmsError('LimitExceededException', message);
export const dryRun = () => new KmsError('DryRunOperationException', 'The request would have succeeded, but the DryRun option is set.');
export const dependencyTimeout = (message: string) => new KmsError('DependencyTimeoutException', message);
export const keyUnavailable = (message: string) => new KmsError('KeyUnavailableException', message);
export const internal = (message: string) => new KmsError('KMSInternalException', message);
/** Verify: the signature does not verify. AWS sends no message. */
export const invalidSignature = () => new KmsError('KMSInvalidSignatureException');
export const serialization = () => new KmsError('SerializationException');
export const unknownOperation = () => new KmsError('UnknownOperationException');

/** What a client sees for a fault we did not foresee; the detail goes to the log only. */
export const GENERIC_INTERNAL_MESSAGE = 'The request was rejected because an internal exception occurred. The request can be retried.';
