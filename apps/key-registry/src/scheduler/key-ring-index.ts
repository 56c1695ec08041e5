import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { KEY_RING_STREAM_PREFIX, orgIdOfStream, parseKeyRingEvent } from '@keywarden/contracts';
import { EVENT_STORE, EventStore, ReplayedEvent } from '@keywarden/event-store';
import { KeyRing, KeyRingFold } from '../domain/key-ring.decider';
import { SCHEDULER_LOGGER } from './scheduler.tokens';

const PAGE = 1_000;

/**
 * The organisations that have a key ring, each with its folded state: what the scheduler walks at
 * every tick. Built from the store's `keyring-` streams (replay pages with the prefix) and
 * brought up to date at the start of each tick by reading on from the last position seen, so
 * a tick costs one read of what changed since the previous one. The scheduler uses it only to
 * find candidates; every command is decided again on the ring as stored.
 */
@Injectable()
export class KeyRingIndex {
  private readonly rings = new Map<string, KeyRing>();
  /** Rings with an event that breaks its contract: left alone, as the registry cannot load them either. */
  private readonly unreadable = new Set<string>();
  private position: bigint | undefined;
  private catchingUp?: Promise<void>;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SCHEDULER_LOGGER) private readonly logger: Logger,
  ) {}

  /** Reads every event appended since the last call; concurrent callers share one read. */
  catchUp(): Promise<void> {
    this.catchingUp ??= (async () => {
      try {
        for (;;) {
          const page = await this.store.readReplayPage({ fromPosition: this.position, limit: PAGE, streamPrefix: KEY_RING_STREAM_PREFIX });
          this.applyPage(page);
          if (page.length < PAGE) return;
        }
      } finally {
        this.catchingUp = undefined;
      }
    })();
    return this.catchingUp;
  }

  /** A snapshot of the rings as of the last catch-up. */
  entries(): Array<readonly [string, KeyRing]> {
    return [...this.rings];
  }

  /** Folds each ring's new events of the page into one working copy: an evolve per event copies the ring's key list. */
  private applyPage(page: readonly ReplayedEvent[]): void {
    const folding = new Map<string, KeyRingFold>();
    for (const event of page) {
      if (this.position !== undefined && event.position <= this.position) continue;
      this.position = event.position;
      const orgId = orgIdOfStream(event.streamId);
      if (orgId === null || this.unreadable.has(orgId)) continue;
      try {
        const parsed = parseKeyRingEvent(event.type, event.data);
        let ring = folding.get(orgId);
        if (!ring) folding.set(orgId, (ring = new KeyRingFold(this.rings.get(orgId))));
        ring.apply(parsed);
      } catch (error) {
        this.logger.error({ err: error, orgId, position: event.position.toString() }, 'key-ring event does not match its contract: ring skipped');
        this.rings.delete(orgId);
        folding.delete(orgId);
        this.unreadable.add(orgId);
      }
    }
    for (const [orgId, ring] of folding) this.rings.set(orgId, ring.ring());
  }
}
