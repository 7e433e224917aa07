// Every domain-separation label in one place, so that no two uses of a hash share a prefix.
// Each label is versioned; change the version when the encoding of what follows changes.
export const LABELS = {
  envelopeSignature: 'tutti/v1/envelope-signature',
  sealKey: 'tutti/v1/seal-key',
  authChallenge: 'tutti/v1/auth-challenge',
  frostEcho: 'tutti/v1/frost/dkg-echo',
  frostTranscript: 'tutti/v1/frost/dkg-transcript',
  frostRefreshTranscript: 'tutti/v1/frost/refresh-transcript',
  frostSignRequest: 'tutti/v1/frost/sign-request',
  sessionId: 'tutti/v1/session-id',
  shareAtRest: 'tutti/v1/share-at-rest',
} as const;
