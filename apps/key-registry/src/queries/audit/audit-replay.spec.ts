import { randomUUID } from 'node:crypto';
import { KeyRingEvent, keyRingStream } from '@keywarden/contracts';
import { SqliteEventStore } from '@keywarden/event-store';
import { decide, fold, KeyRingCommand } from '../../domain/key-ring.decider';
import { day, issue, meta, revoke } from '../../domain/testing/key-ring.fixtures';
import { AuditRecord, replayAudit, streamAudit } from './audit-replay';

// The streamed replay: records in store order as pages are read, and what it leaves behind (the
// key table at an instant) equal to the collected replay of the REST route and `--org`.
describe('streamAudit', () => {
  let store: SqliteEventStore;

  beforeEach(() => {
    store = new SqliteEventStore(':memory:');
  });

  afterEach(async () => store.close());

  const forOrg = (orgId: string, command: KeyRingCommand): KeyRingCommand => ({ ...command, data: { ...command.data, orgId } }) as KeyRingCommand;

  /** Decides the commands on the org's ring as recorded so far and appends the events, each with the command's request id. */
  async function run(orgId: string, requestId: string, command: KeyRingCommand): Promise<void> {
    const history = (await store.readStream(keyRingStream(orgId))).map((e) => ({ type: e.type, data: e.data }) as KeyRingEvent);
    const events = decide(forOrg(orgId, command), fold(history));
    const expected = history.length === 0 ? 'no_stream' : BigInt(history.length - 1);
    await store.appendToStream(
      keyRingStream(orgId),
      events.map((e) => ({ eventId: randomUUID(), type: e.type, data: e.data, metadata: { requestId } })),
      expected,
    );
  }

  /** Two organisations whose events interleave in the store. */
  async function interleavedHistory(): Promise<void> {
    await run('org-a', 'a-1', issue('key_a1', day(0)));
    await run('org-b', 'b-1', issue('key_b1', day(1)));
    await run('org-a', 'a-2', revoke('key_a1', 'key_a2', 7, day(10)));
    await run('org-b', 'b-2', revoke('key_b1', 'key_b2', 30, day(20)));
    await run('org-a', 'a-3', { type: 'RemoveExpiration', data: { keyId: 'key_a2' }, metadata: meta(day(30)) });
  }

  const summary = (r: AuditRecord) => [r.orgId, r.event.type, r.event.data.keyId, r.hint, r.requestId];

  it('delivers every record in store order across pages, each naming its key and request id, as the collected replay has them', async () => {
    await interleavedHistory();
    const streamed: AuditRecord[] = [];
    const pageEnds: number[] = [];

    const { events, orgs } = await streamAudit(store, { record: (r) => streamed.push(r), endPage: () => void pageEnds.push(streamed.length) }, { batchSize: 2 });

    expect(streamed.map(summary)).toEqual([
      ['org-a', 'KeyIssued', 'key_a1', 'kw_…y_a1', 'a-1'],
      ['org-b', 'KeyIssued', 'key_b1', 'kw_…y_b1', 'b-1'],
      ['org-a', 'KeyIssued', 'key_a2', 'kw_…y_a2', 'a-2'],
      ['org-a', 'KeyRevoked', 'key_a1', 'kw_…y_a1', 'a-2'],
      ['org-b', 'KeyIssued', 'key_b2', 'kw_…y_b2', 'b-2'],
      ['org-b', 'KeyRevoked', 'key_b1', 'kw_…y_b1', 'b-2'],
      ['org-a', 'ExpirationRemoved', 'key_a2', 'kw_…y_a2', 'a-3'],
    ]);
    expect(streamed.map((r) => r.position)).toEqual([...streamed.map((r) => r.position)].sort((x, y) => (x < y ? -1 : 1)));
    expect(pageEnds).toEqual([2, 4, 6, 7]);
    expect(events).toBe(7);
    expect([...orgs.keys()]).toEqual(['org-a', 'org-b']);

    const collected = await replayAudit(store);
    for (const orgId of ['org-a', 'org-b']) {
      expect(collected.orgs.get(orgId)?.records).toEqual(streamed.filter((r) => r.orgId === orgId));
    }
  });

  it('leaves each ring as it stood at the instant, the same as the collected replay of every organisation and of that one', async () => {
    await interleavedHistory();
    const at = new Date(day(15));

    const { orgs } = await streamAudit(store, { record: () => undefined }, { at, batchSize: 2 });

    const ringA = orgs.get('org-a')?.ringAt;
    expect(ringA?.keys.map((k) => [k.keyId, k.revokedAt])).toEqual([
      ['key_a1', day(10)],
      ['key_a2', null],
    ]);
    expect(orgs.get('org-b')?.ringAt?.keys.map((k) => [k.keyId, k.revokedAt])).toEqual([['key_b1', null]]);
    const collected = await replayAudit(store, { at });
    expect(collected.orgs.get('org-a')?.ringAt).toEqual(ringA);
    const ownOnly = await replayAudit(store, { at, orgId: 'org-a' });
    expect(ownOnly.orgs.get('org-a')?.ringAt).toEqual(ringA);
  });

  it('keeps only the records of the window, yet names a key issued before it by its hint', async () => {
    await interleavedHistory();
    const streamed: AuditRecord[] = [];

    await streamAudit(store, { record: (r) => streamed.push(r) }, { from: new Date(day(10)), to: new Date(day(20)) });

    expect(streamed.map(summary)).toEqual([
      ['org-a', 'KeyIssued', 'key_a2', 'kw_…y_a2', 'a-2'],
      ['org-a', 'KeyRevoked', 'key_a1', 'kw_…y_a1', 'a-2'],
      ['org-b', 'KeyIssued', 'key_b2', 'kw_…y_b2', 'b-2'],
      ['org-b', 'KeyRevoked', 'key_b1', 'kw_…y_b1', 'b-2'],
    ]);
  });

  it('reads the next page only once the sink has taken the previous one', async () => {
    await interleavedHistory();
    const streamed: AuditRecord[] = [];
    let release: () => void = () => undefined;
    let waiting = 0;
    const sink = {
      record: (r: AuditRecord) => streamed.push(r),
      endPage: () =>
        new Promise<void>((resolve) => {
          waiting++;
          release = resolve;
        }),
    };

    const replay = streamAudit(store, sink, { batchSize: 3 });
    await new Promise((resolve) => setImmediate(resolve));
    expect([streamed.length, waiting]).toEqual([3, 1]);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect([streamed.length, waiting]).toEqual([6, 2]);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    release();

    expect((await replay).events).toBe(7);
    expect(streamed).toHaveLength(7);
  });
});
