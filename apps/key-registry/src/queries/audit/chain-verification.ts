import { KEY_RING_STREAM_PREFIX } from '@keywarden/contracts';
import type { EventStore, ReplayProgress } from '@keywarden/event-store';
import { CHAIN_GENESIS, chainOf, expectedChainValue } from '../../key-ring/event-chain';

export type ChainBreak = Readonly<{
  position: bigint;
  streamId: string;
  revision: bigint;
  /** The chain value recomputed from the previous event and this one (see expectedChainValue). */
  expected: string;
  /** What the stored event carries (null: no chain value at all). */
  found: string | null;
}>;

export type ChainReport = Readonly<{ events: number; streams: number; firstBreak: ChainBreak | null }>;

/**
 * Walks every key ring in store order, recomputing each event's chain value over the previous
 * event of its stream; stops at the first event whose stored value differs.
 */
export async function verifyKeyRingChains(
  store: EventStore,
  options: Readonly<{ orgStream?: string; batchSize?: number; onProgress?: ReplayProgress }> = {},
): Promise<ChainReport> {
  const heads = new Map<string, string>();
  const batchSize = options.batchSize ?? 1_000;
  let events = 0;
  let fromPosition: bigint | undefined;
  for (;;) {
    const page = options.orgStream
      ? fromPosition === undefined
        ? await store.readStream(options.orgStream)
        : []
      : await store.readAll({ fromPosition, limit: batchSize, streamPrefix: KEY_RING_STREAM_PREFIX });
    if (page.length === 0) break;
    for (const recorded of page) {
      const expected = expectedChainValue(heads.get(recorded.streamId) ?? CHAIN_GENESIS, recorded);
      const found = chainOf(recorded.metadata);
      events++;
      if (found !== expected) {
        return {
          events,
          streams: heads.size,
          firstBreak: { position: recorded.position, streamId: recorded.streamId, revision: recorded.revision, expected, found },
        };
      }
      heads.set(recorded.streamId, found);
    }
    fromPosition = page[page.length - 1].position;
    options.onProgress?.(events, fromPosition);
    if (options.orgStream || page.length < batchSize) break;
  }
  return { events, streams: heads.size, firstBreak: null };
}
