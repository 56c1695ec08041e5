import { AppendResult, DuplicateEventIdError, ExpectedRevision, WrongExpectedRevisionError } from './event-store.port';

/** What an adapter knows of an event id that is already stored. */
export type StoredId = Readonly<{ position: bigint; event_id: string; stream_id: string; revision: bigint }>;

export function checkExpectedRevision(streamId: string, expected: ExpectedRevision, current: bigint | undefined): void {
  if (expected === 'any') return;
  const matches = expected === 'no_stream' ? current === undefined : current === expected;
  if (!matches) throw new WrongExpectedRevisionError(streamId, expected, current ?? 'no_stream');
}

/**
 * A retried append (every id already stored, in this stream, at consecutive revisions, in the
 * same order) returns what the first attempt returned; as in EventStoreDB, the retry must carry
 * the expected revision of the original. Anything else with a known id is refused.
 */
export function originalResult(
  streamId: string,
  ids: readonly string[],
  stored: readonly StoredId[],
  expected: ExpectedRevision,
  current: bigint | undefined,
): AppendResult {
  const byId = new Map(stored.map((row) => [row.event_id, row]));
  const first = byId.get(ids[0]);
  const isRetry =
    first !== undefined &&
    stored.length === ids.length &&
    ids.every((id, index) => {
      const row = byId.get(id);
      return row?.stream_id === streamId && row.revision === first.revision + BigInt(index);
    });
  if (!isRetry) throw new DuplicateEventIdError(streamId, stored.map((row) => row.event_id));
  const revisionBefore = first.revision - 1n;
  const consistent =
    expected === 'any' || (expected === 'no_stream' ? revisionBefore === -1n : expected === revisionBefore);
  if (!consistent) throw new WrongExpectedRevisionError(streamId, expected, current ?? 'no_stream');
  const last = byId.get(ids[ids.length - 1]) as StoredId;
  return { nextExpectedRevision: last.revision, position: last.position };
}
