import { Actor, KEY_RING_STREAM_PREFIX, KeyRingEvent, keyRingStream, orgIdOfStream, parseKeyRingEvent, SCHEDULER_ACTOR, scannerActor } from '@keywarden/contracts';
import type { EventStore, ReplayedEvent, ReplayProgress } from '@keywarden/event-store';
import { KeyRing, KeyRingFold } from '../../domain/key-ring.decider';

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

/** What the replay knows of an organisation once it has read all of its events. */
export type AuditedOrg = {
  orgId: string;
  /** The ring folded over the events that happened up to `at`; null when no `at` was asked. */
  ringAt: KeyRing | null;
};

/** An organisation's whole audit, timeline included: what the REST route and `--org` present. */
export type OrgAudit = AuditedOrg & { records: AuditRecord[] };

/**
 * Where a streamed replay delivers its records, in store order, as it reads them: a writer holds
 * one page of the timeline, not all of it (a large store's timeline does not fit in memory).
 */
export interface AuditSink {
  record(record: AuditRecord): void;
  /** After each page; the replay waits for it, so a slow reader of the output holds it back instead of filling memory. */
  endPage?(): Promise<void> | void;
}

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
    case 'KeyLeaked':
      return event.data.leakedAt;
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

/** Who took the decision: events the scheduler records on its own carry no actor. */
export const actorOfEvent = (event: KeyRingEvent): Actor => {
  if (event.type === 'KeyLeaked') return scannerActor(event.data.scanner);
  return 'actor' in event.data ? event.data.actor : SCHEDULER_ACTOR;
};

type OrgReplay = {
  /** key id → hint: every line names its key readably, not only the KeyIssued. */
  hints: Map<string, string>;
  /** The ring as it stood at `at`, fed the events up to that instant as they come. */
  foldingAt: KeyRingFold | null;
};

/**
 * Rebuilds the audit by replaying the store (never a separate log): each ring's events in store
 * order, optionally filtered by time, into `sink` as they are read, and each ring as it stood at
 * `at`. Nothing of the timeline is kept here: memory grows with the organisations and their keys,
 * not with the events. The loop is synchronous per page: one await per page, not per event.
 */
export async function streamAudit(store: EventStore, sink: AuditSink, options: AuditReplayOptions = {}): Promise<{ orgs: Map<string, AuditedOrg>; events: number }> {
  const replays = new Map<string, OrgReplay>();
  const fromMs = options.from?.getTime() ?? -Infinity;
  const toMs = options.to?.getTime() ?? Infinity;
  const atMs = options.at?.getTime();

  const visit = (recorded: ReplayedEvent, orgId: string): void => {
    const event = parseKeyRingEvent(recorded.type, recorded.data);
    let org = replays.get(orgId);
    if (!org) replays.set(orgId, (org = { hints: new Map(), foldingAt: atMs === undefined ? null : new KeyRingFold() }));
    if (event.type === 'KeyIssued') org.hints.set(event.data.keyId, event.data.hint);
    const at = occurredAt(event);
    const atEventMs = Date.parse(at);
    if (org.foldingAt && atEventMs <= (atMs as number)) org.foldingAt.apply(event);
    if (atEventMs < fromMs || atEventMs > toMs) return;
    const requestId = recorded.metadata.requestId;
    sink.record({
      position: recorded.position,
      orgId,
      revision: recorded.revision,
      at,
      event,
      hint: org.hints.get(event.data.keyId) ?? null,
      requestId: typeof requestId === 'string' ? requestId : null,
    });
  };

  let events = 0;
  if (options.orgId !== undefined) {
    const orgId = options.orgId;
    const recorded = await store.readStream(keyRingStream(orgId));
    for (const event of recorded) visit(event, orgId);
    await sink.endPage?.();
    events = recorded.length;
    options.onProgress?.(events, recorded.at(-1)?.position ?? 0n);
  } else {
    const batchSize = options.batchSize ?? 1_000;
    let fromPosition: bigint | undefined;
    for (;;) {
      const page = await store.readReplayPage({ fromPosition, limit: batchSize, streamPrefix: KEY_RING_STREAM_PREFIX, metadataFields: ['requestId'] });
      if (page.length === 0) break;
      for (const recorded of page) visit(recorded, orgIdOfStream(recorded.streamId) as string);
      await sink.endPage?.();
      events += page.length;
      fromPosition = page[page.length - 1].position;
      options.onProgress?.(events, fromPosition);
      if (page.length < batchSize) break;
    }
  }
  const orgs = new Map<string, AuditedOrg>();
  for (const [orgId, org] of replays) orgs.set(orgId, { orgId, ringAt: org.foldingAt?.ring() ?? null });
  return { orgs, events };
}

/** The replay with each organisation's timeline collected: for one organisation, or a store small enough to hold. */
export async function replayAudit(store: EventStore, options: AuditReplayOptions = {}): Promise<{ orgs: Map<string, OrgAudit>; events: number }> {
  const records = new Map<string, AuditRecord[]>();
  const sink: AuditSink = {
    record(record) {
      const collected = records.get(record.orgId);
      if (collected) collected.push(record);
      else records.set(record.orgId, [record]);
    },
  };
  const { orgs, events } = await streamAudit(store, sink, options);
  const audits = new Map<string, OrgAudit>();
  for (const [orgId, org] of orgs) audits.set(orgId, { ...org, records: records.get(orgId) ?? [] });
  return { orgs: audits, events };
}
