import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteSentLedger } from './sqlite-sent-ledger.adapter';

describe('SqliteSentLedger', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keywarden-ledger-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let nowMs = Date.parse('2026-12-05T09:00:00Z');
  const ledger = (file: string, group = 'keywarden-notifier') => new SqliteSentLedger(join(dir, file), group, () => nowMs);

  it('remembers a sent event across a restart, so a redelivery after it is not sent again', async () => {
    const before = ledger('restart.sqlite');
    const claim = await before.claim('event-1', 60_000);
    expect(claim.status).toBe('claimed');
    await before.recordSent('event-1', (claim as { token: string }).token);
    await before.close();

    const after = ledger('restart.sqlite');
    expect(await after.claim('event-1', 60_000)).toEqual({ status: 'sent' });
    expect((await after.claim('event-2', 60_000)).status).toBe('claimed');
    // Another consumer group has its own memory of what it sent.
    const other = ledger('restart.sqlite', 'another-group');
    expect((await other.claim('event-1', 60_000)).status).toBe('claimed');
    await Promise.all([after.close(), other.close()]);
  });

  it('keeps a claim from a second sender until it is released or expires', async () => {
    const a = ledger('claims.sqlite');
    const b = ledger('claims.sqlite');
    const held = await a.claim('event-1', 60_000);
    expect(await b.claim('event-1', 60_000)).toEqual({ status: 'busy' });
    await a.release('event-1', (held as { token: string }).token);
    const taken = await b.claim('event-1', 60_000);
    expect(taken.status).toBe('claimed');
    nowMs += 60_001;
    expect((await a.claim('event-1', 60_000)).status).toBe('claimed');
    await Promise.all([a.close(), b.close()]);
  });
});
