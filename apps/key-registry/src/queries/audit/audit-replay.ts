import { Actor, KEY_RING_STREAM_PREFIX, KeyRingEvent, keyRingStream, orgIdOfStream, parseKeyRingEvent, SCHEDULER_ACTOR } from '@keywarden/contracts';
import type { EventStore, ReplayedEvent, ReplayProgress } from '@keywarden/event-store';
import { fold, KeyRing } from '../../domain/key-ring.decider';

/** One key-ring event as the audit sees it, before the organisation's date-time format is applied. */
export type AuditRecord = Readonly<{
  position: bigint;
  orgId: string;
  revision: bigint;
  /** When it happened, by the clock of the decision that recorded it (ISO 8601 UTC). */
  at: string;
  event: KeyRingEvent;
  /** The key's display hint, carried from its KeyIssued so every line names the key readably. */
  hint: string | null;
  requestId: string | null;
}>;

export type OrgAudit = {
  orgId: string;
  records: AuditRecord[];
  /** The ring folded over the events that happened up to `at`; null when no `at` was asked. */
  ringAt: KeyRing | null;
  /** key id → hint, for every key of the ring. */
  hints: Map<string, string>;
};

export type AuditReplayOptions = Readonly<{
  /** Only this organisation; undefined = every organisation. */
  orgId?: string;
  /** Keep only records that happened at or after / at or before these instants. */
  from?: Date;
  to?: Date;
  /** Also fold each ring up to this instant. */
  at?: Date;
  /** Events read per page when replaying every organisation. @default 1000 */
  batchSize?: number;
  onProgress?: ReplayProgress;
}>;

/** The instant an event happened: the time the decision was taken, as recorded in its data. */
export function occurredAt(event: KeyRingEvent): string {
  switch (event.type) {
    case 'KeyIssued':
      return event.data.issuedAt;
    case 'KeyRevoked':
      return event.data.revokedAt;
    case 'ExpirationRemoved':
      return event.data.removedAt;
    case 'KeyDeleted':
      return event.data.deletedAt;
    case 'KeyExpired':
      return event.data.expiredAt;
    case 'KeyRevealed':
      return event.data.revealedAt;
    case 'ExpiryNoticeIssued':
      return event.data.noticedAt;
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

/** Who took the decision: events the scheduler records on its own carry no actor. */
export const actorOfEvent = (event: KeyRingEvent): Actor => ('actor' in event.data ? event.data.actor : SCHEDULER_ACTOR);

/**
 * Rebuilds the audit by replaying the store (never a separate log): each ring's events in store
 * order, optionally filtered by time, and the ring as it stood at `at`. The replay loop is
 * synchronous per page, so a long replay costs one await per page, not per event.
 */
export async function replayAudit(store: EventStore, options: AuditReplayOptions = {}): Promise<{ orgs: Map<string, OrgAudit>; events: number }> {
  const orgs = new Map<string, OrgAudit>();
  const fromMs = options.from?.getTime() ?? -Infinity;
  const toMs = options.to?.getTime() ?? Infinity;
  const atMs = options.at?.getTime();
  let events = 0;
  // Each ring's events up to `at`, folded once at the end (fold is linear; an evolve per event
  // copies the ring's key list each time).
  const upToAt = new Map<string, KeyRingEvent[]>();
  const foldRingsAt = (): void => {
    for (const [orgId, ringEvents] of upToAt) (orgs.get(orgId) as OrgAudit).ringAt = fold(ringEvents);
  };

  const visit = (recorded: ReplayedEvent, orgId: string): void => {
    const event = parseKeyRingEvent(recorded.type, recorded.data);
    let org = orgs.get(orgId);
    if (!org) {
      org = { orgId, records: [], ringAt: null, hints: new Map() };
      orgs.set(orgId, org);
      if (atMs !== undefined) upToAt.set(orgId, []);
    }
    if (event.type === 'KeyIssued') org.hints.set(event.data.keyId, event.data.hint);
    const at = occurredAt(event);
    const atEventMs = Date.parse(at);
    if (atMs !== undefined && atEventMs <= atMs) (upToAt.get(orgId) as KeyRingEvent[]).push(event);
    if (atEventMs < fromMs || atEventMs > toMs) return;
    const requestId = recorded.metadata.requestId;
    org.records.push({
      position: recorded.position,
      orgId,
      revision: recorded.revision,
      at,
      event,
      hint: org.hints.get(event.data.keyId) ?? null,
      requestId: typeof requestId === 'string' ? requestId : null,
    });
  };

  if (options.orgId !== undefined) {
    const orgId = options.orgId;
    for (const recorded of await store.readStream(keyRingStream(orgId))) visit(recorded, orgId);
    foldRingsAt();
    events = orgs.get(orgId)?.records.length ?? 0;
    options.onProgress?.(events, orgs.get(orgId)?.records.at(-1)?.position ?? 0n);
    return { orgs, events };
  }

  const batchSize = options.batchSize ?? 1_000;
  let fromPosition: bigint | undefined;
  for (;;) {
    const page = await store.readReplayPage({ fromPosition, limit: batchSize, streamPrefix: KEY_RING_STREAM_PREFIX, metadataFields: ['requestId'] });
    if (page.length === 0) break;
    for (const recorded of page) visit(recorded, orgIdOfStream(recorded.streamId) as string);
    events += page.length;
    fromPosition = page[page.length - 1].position;
    options.onProgress?.(events, fromPosition);
    if (page.length < batchSize) break;
  }
  foldRingsAt();
  return { orgs, events };
}
