import { Inject, Injectable } from '@nestjs/common';
import { KEY_RING_STREAM_PREFIX, orgIdOfStream, parseKeyRingEvent } from '@keywarden/contracts';
import { EVENT_STORE, EventStore } from '@keywarden/event-store';

const PAGE = 1_000;

export type KeyLocation = Readonly<{ orgId: string; keyId: string }>;

/**
 * Which organisation's key has a given fingerprint: what a secret scanner's report, which names
 * no organisation, is looked up in. Built from the store's KeyIssued events and brought up to date
 * before each lookup by reading on from the last position seen. A deleted key stays here: the
 * ring's decision refuses it, so the index never has to forget.
 */
@Injectable()
export class KeyFingerprintIndex {
  private readonly keys = new Map<string, KeyLocation>();
  private position: bigint | undefined;
  private catchingUp?: Promise<void>;

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async find(fingerprint: string): Promise<KeyLocation | null> {
    await this.catchUp();
    return this.keys.get(fingerprint) ?? null;
  }

  /** Reads every event appended since the last call; concurrent callers share one read. */
  private catchUp(): Promise<void> {
    this.catchingUp ??= (async () => {
      try {
        for (;;) {
          const page = await this.store.readReplayPage({ fromPosition: this.position, limit: PAGE, streamPrefix: KEY_RING_STREAM_PREFIX });
          for (const event of page) {
            if (this.position !== undefined && event.position <= this.position) continue;
            this.position = event.position;
            const orgId = orgIdOfStream(event.streamId);
            if (orgId === null || event.type !== 'KeyIssued') continue;
            const issued = parseKeyRingEvent(event.type, event.data);
            if (issued.type === 'KeyIssued') this.keys.set(issued.data.fingerprint, { orgId, keyId: issued.data.keyId });
          }
          if (page.length < PAGE) return;
        }
      } finally {
        this.catchingUp = undefined;
      }
    })();
    return this.catchingUp;
  }
}
