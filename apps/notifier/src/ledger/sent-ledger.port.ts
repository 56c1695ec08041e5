/**
 * The notifier's memory of what it already sent, by event id: the guard that makes each
 * notification go out once although Kafka delivers at least once.
 *
 * - `claim` before sending: 'sent' = skip, 'busy' = another sender is on it right now (a consumer
 *   that lost its partition in a rebalance but is still mid-send), else a claim that expires on
 *   its own if its holder dies.
 * - `recordSent` only after the SMTP server accepted the message. The remaining window (accepted,
 *   then the process dies before the record lands) can send a message twice; it is a few
 *   milliseconds wide, and the duplicate carries the same Message-ID.
 */
export type ClaimResult = Readonly<{ status: 'sent' }> | Readonly<{ status: 'busy' }> | Readonly<{ status: 'claimed'; token: string }>;

export interface SentLedger {
  claim(eventId: string, ttlMs: number): Promise<ClaimResult>;
  recordSent(eventId: string, token: string): Promise<void>;
  /** Gives a claim back after a failed send, so a retry need not wait for it to expire. */
  release(eventId: string, token: string): Promise<void>;
  close(): Promise<void>;
}

export const SENT_LEDGER = Symbol('SENT_LEDGER');

/** Long enough to outlive any redelivery (Kafka keeps the topics for 7 days by default). */
export const SENT_RECORD_TTL_SECONDS = 30 * 24 * 60 * 60;
