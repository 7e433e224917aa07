// Every Prometheus metric Tutti exports, declared once. Each process component gets its own
// Registry from createMetrics (never prom-client's global one), so several gateways and parties can
// live in one test process without name clashes. Every series carries a `component` label.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type Component = 'gateway' | 'party';

export type Metrics = {
  readonly component: Component;
  readonly registry: Registry;
  /** KMS API requests; `operation` is the X-Amz-Target operation or `unknown`, `outcome` is `ok` or the error `__type`. */
  readonly kmsRequests: Counter<'operation' | 'outcome'>;
  /** Seconds from request received to response sent, by operation. */
  readonly kmsRequestDuration: Histogram<'operation'>;
  /** Seconds a protocol session (DKG, sign, refresh) ran; `outcome` e.g. `done`, `abort`, `timeout`. */
  readonly sessionDuration: Histogram<'protocol' | 'outcome'>;
  /** Message rounds a completed session took. */
  readonly sessionRounds: Histogram<'protocol'>;
  /** Session aborts by protocol and FailureKind (protocols/core/errors.ts). */
  readonly aborts: Counter<'protocol' | 'kind'>;
  /** Envelopes the coordinator relayed between parties. */
  readonly relayedEnvelopes: Counter<'protocol'>;
  /** Bytes of those envelopes. */
  readonly relayedBytes: Counter<'protocol'>;
  /** 1 while the party is connected to the coordinator, 0 otherwise, by party id. */
  readonly partyConnections: Gauge<'party'>;
  /**
   * Signing-policy decisions a party took (docs/policies.md): `decision` allow | deny, `code` the
   * decision code (ALLOW, NO_MATCHING_ALLOW, RATE_LIMITED …), `rule` the rule that decided.
   */
  readonly policyDecisions: Counter<'decision' | 'code' | 'rule'>;
  /** Sessions per group commit of durable consumes at a party (services/party/consume-batcher.ts). */
  readonly consumeBatchSessions: Histogram<never>;
  /** Gateway: DKLs23 presignature records in stock over all keys and signer sets (presign-stock.ts), read at scrape time. */
  readonly presignStock: Gauge<never>;
  /** Gateway: tells the presignStock gauge what to read when scraped. */
  readonly watchPresignStock: (read: () => number) => void;
};

// Sign requests run a threshold protocol (tens of ms); CreateKey runs a DKG (up to seconds for 3-of-5).
const REQUEST_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const SESSION_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const ROUNDS = [1, 2, 3, 4, 5, 6, 8, 10, 15, 20];

export function createMetrics(component: Component): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ component });
  const registers = [registry];
  let readPresignStock: (() => number) | undefined;
  return {
    component,
    registry,
    kmsRequests: new Counter({
      name: 'tutti_kms_requests_total',
      help: 'KMS API requests by operation and outcome (ok or the AWS error type).',
      labelNames: ['operation', 'outcome'] as const,
      registers,
    }),
    kmsRequestDuration: new Histogram({
      name: 'tutti_kms_request_duration_seconds',
      help: 'KMS API request latency by operation.',
      labelNames: ['operation'] as const,
      buckets: REQUEST_SECONDS,
      registers,
    }),
    sessionDuration: new Histogram({
      name: 'tutti_protocol_session_duration_seconds',
      help: 'Protocol session duration by protocol and outcome.',
      labelNames: ['protocol', 'outcome'] as const,
      buckets: SESSION_SECONDS,
      registers,
    }),
    sessionRounds: new Histogram({
      name: 'tutti_protocol_session_rounds',
      help: 'Rounds per completed protocol session, by protocol.',
      labelNames: ['protocol'] as const,
      buckets: ROUNDS,
      registers,
    }),
    aborts: new Counter({
      name: 'tutti_protocol_aborts_total',
      help: 'Protocol session aborts by protocol and abort kind.',
      labelNames: ['protocol', 'kind'] as const,
      registers,
    }),
    relayedEnvelopes: new Counter({
      name: 'tutti_relayed_envelopes_total',
      help: 'Envelopes relayed between parties, by protocol.',
      labelNames: ['protocol'] as const,
      registers,
    }),
    relayedBytes: new Counter({
      name: 'tutti_relayed_bytes_total',
      help: 'Bytes of envelopes relayed between parties, by protocol.',
      labelNames: ['protocol'] as const,
      registers,
    }),
    partyConnections: new Gauge({
      name: 'tutti_party_connected',
      help: '1 while the party is connected, 0 otherwise.',
      labelNames: ['party'] as const,
      registers,
    }),
    policyDecisions: new Counter({
      name: 'tutti_policy_decisions_total',
      help: 'Signing-policy decisions by decision, decision code and deciding rule.',
      labelNames: ['decision', 'code', 'rule'] as const,
      registers,
    }),
    consumeBatchSessions: new Histogram({
      name: 'tutti_party_consume_batch_sessions',
      help: 'Sessions whose nonce or presignature consume shared one SQLite transaction (group commit).',
      buckets: [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64],
      registers,
    }),
    presignStock: new Gauge({
      name: 'tutti_presign_stock',
      help: 'DKLs23 presignatures the gateway holds in stock, over all keys and signer sets.',
      registers,
      collect() {
        if (readPresignStock) this.set(readPresignStock());
      },
    }),
    watchPresignStock: (read) => {
      readPresignStock = read;
    },
  };
}
