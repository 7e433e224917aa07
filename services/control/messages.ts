// Control messages between the coordinator and a party, carried as JSON frames over the
// authenticated WebSocket (services/transport/channel.ts). Protocol envelopes inside them are
// opaque to the coordinator: signed broadcasts or sealed point-to-point bytes (base64).

export type SignRequest = {
  /** The full message the caller sent, base64, so each party can check it against its policy. */
  message: string;
  messageType: 'RAW' | 'DIGEST';
  signingAlgorithm: string;
  caller: { accessKeyId: string; principal: string };
};

export type OpenDkg = {
  type: 'open'; kind: 'dkg'; session: string; keyId: string; keySpec: string;
  /** Protocol family, e.g. 'frost-ed25519'. */
  protocol: string;
  threshold: number;
  /** Party ids in index order: parties[i] has index i + 1. */
  parties: string[];
  policyHash: string | null;
};

export type OpenSign = {
  type: 'open'; kind: 'sign'; session: string; keyId: string;
  /** Key indices of the signers, sorted. */
  signers: number[];
  request: SignRequest;
};

export type OpenMessage = OpenDkg | OpenSign;

/** A protected envelope. Party → coordinator: `to` routes it (0 = every other participant). */
export type EnvelopeMessage = { type: 'envelope'; session: string; from: number; to: number; data: string };

export type DkgResult = { publicKey: string; transcriptHash: string };
export type SignResult = { signature: string };
export type DoneMessage = { type: 'done'; session: string; output: DkgResult | SignResult };

export type AbortMessage = { type: 'abort'; session: string; kind: string; message: string; culprits: number[] };

/**
 * The key is gone (its deletion window passed, or its DKG never completed): delete every share of
 * it. Sent until the party confirms, on every connect and every sweep.
 */
export type DeleteKeyMessage = { type: 'delete-key'; keyId: string };
/** The party holds no share of the key any more (also sent when it never had one). */
export type KeyDeletedMessage = { type: 'key-deleted'; keyId: string };

export type CoordinatorToParty = OpenMessage | EnvelopeMessage | AbortMessage | DeleteKeyMessage;
export type PartyToCoordinator = EnvelopeMessage | DoneMessage | AbortMessage | KeyDeletedMessage;

export const SESSION_ID_RE = /^[0-9a-f]{64}$/;
export const KEY_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
