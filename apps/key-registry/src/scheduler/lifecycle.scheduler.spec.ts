import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DAY_MS, ManualClock } from '@keywarden/clock';
import { Actor, DEFAULT_SETTINGS, KeyRingEvent, keyRingStream, OrgSettings, parseKeyRingEvent } from '@keywarden/contracts';
import { InMemoryDataKeyStore, KeyFingerprinter, KeyMaterialVault, SecretMinter, SigningKeyRing } from '@keywarden/crypto';
import { EventStore, ExpectedRevision, NewEvent, SqliteEventStore } from '@keywarden/event-store';
import { LogCapture } from '../../../../test/support/log-capture';
import { Validity } from '../domain/validity';
import { KeyMaterialService } from '../key-ring/key-material.service';
import { KeyRingRepository } from '../key-ring/key-ring.repository';
import { KeyUsageReader } from '../key-ring/key-usage.port';
import { KeyRingIndex } from './key-ring-index';
import { LifecycleScheduler } from './lifecycle.scheduler';

// The scheduler's decisions over a moving clock, on the embedded SQLite store: what it records,
// when, and that restarts, a second instance and late ticks change nothing of that.

const DAY0 = '2026-01-01T00:00:00.000Z';
const day = (n: number): string => new Date(Date.parse(DAY0) + n * DAY_MS).toISOString();
const admin: Actor = { sub: 'u-1', email: 'admin@acme.test' };

/** Remembers which data keys were destroyed: a key generated for a rotation that lost must be shredded. */
class TrackedDataKeys extends InMemoryDataKeyStore {
  readonly destroyed: string[] = [];
  override async destroy(dataKeyId: string): Promise<void> {
    this.destroyed.push(dataKeyId);
    await super.destroy(dataKeyId);
  }
}

type Summary = { type: string; keyId: string; at?: string; detail?: Record<string, unknown> };

class World {
  readonly dir = mkdtempSync(join(tmpdir(), 'keywarden-scheduler-'));
  readonly path = join(this.dir, 'events.sqlite');
  readonly store = new SqliteEventStore(this.path);
  readonly clock = new ManualClock(DAY0);
  readonly logs = new LogCapture();
  readonly logger = pino({ level: 'info' }, this.logs);
  readonly dataKeys = new TrackedDataKeys();
  readonly material = new KeyMaterialService(
    new KeyFingerprinter(randomBytes(32)),
    new KeyMaterialVault(randomBytes(32), this.dataKeys),
    new SecretMinter(SigningKeyRing.generate(new Date(DAY0))),
  );
  readonly settings = new Map<string, Partial<OrgSettings>>();
  readonly lastUsed = new Map<string, string>();
  private readonly stores: EventStore[] = [this.store];

  scheduler(store: EventStore = this.store): LifecycleScheduler {
    const settings = {
      get: async (orgId: string): Promise<OrgSettings> => ({ ...DEFAULT_SETTINGS, ...this.settings.get(orgId) }),
      current: (orgId: string): OrgSettings => ({ ...DEFAULT_SETTINGS, ...this.settings.get(orgId) }),
    };
    const usage: KeyUsageReader = {
      lastUsedAt: async (_orgId, keyIds) => new Map(keyIds.filter((k) => this.lastUsed.has(k)).map((k) => [k, this.lastUsed.get(k)!])),
    };
    return new LifecycleScheduler(
      new KeyRingIndex(store, this.logger),
      new KeyRingRepository(store),
      this.material,
      settings,
      usage,
      this.clock,
      this.logger,
      { tickMs: 0 },
    );
  }

  /** Another "process" on the same file. */
  secondStore(): SqliteEventStore {
    const store = new SqliteEventStore(this.path);
    this.stores.push(store);
    return store;
  }

  async issue(orgId: string, validity: Validity = { kind: 'days', days: 365 }): Promise<string> {
    const { newKey } = await this.material.recordNewKey((newKey) =>
      new KeyRingRepository(this.store).execute(orgId, {
        type: 'IssueKey',
        data: { orgId, newKey, validity },
        metadata: { now: this.clock.now().toISOString(), actor: admin },
      }),
    );
    return newKey.keyId;
  }

  async revoke(orgId: string, keyId: string, graceDays: number, newKeyValidity: Validity = { kind: 'days', days: 365 }): Promise<string> {
    const { newKey } = await this.material.recordNewKey((newKey) =>
      new KeyRingRepository(this.store).execute(orgId, {
        type: 'RevokeKey',
        data: { keyId, graceDays, reason: null, newKey, newKeyValidity },
        metadata: { now: this.clock.now().toISOString(), actor: admin },
      }),
    );
    return newKey.keyId;
  }

  async removeExpiration(orgId: string, keyId: string): Promise<void> {
    await new KeyRingRepository(this.store).execute(orgId, {
      type: 'RemoveExpiration',
      data: { keyId },
      metadata: { now: this.clock.now().toISOString(), actor: admin },
    });
  }

  async events(orgId: string): Promise<KeyRingEvent[]> {
    return (await this.store.readStream(keyRingStream(orgId))).map((e) => parseKeyRingEvent(e.type, e.data));
  }

  /** What a tick at day n records for the organisation. */
  async tickAt(n: number, scheduler: LifecycleScheduler, orgId: string): Promise<Summary[]> {
    this.clock.set(day(n));
    const before = (await this.events(orgId)).length;
    await scheduler.tick();
    return (await this.events(orgId)).slice(before).map(summary);
  }

  async close(): Promise<void> {
    for (const store of this.stores) await store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function summary(event: KeyRingEvent): Summary {
  switch (event.type) {
    case 'KeyIssued':
      return { type: event.type, keyId: event.data.keyId, at: event.data.issuedAt, detail: { reason: event.data.reason, replaces: event.data.replaces, expiresAt: event.data.expiresAt, actor: event.data.actor.sub } };
    case 'KeyRevoked':
      return { type: event.type, keyId: event.data.keyId, at: event.data.revokedAt, detail: { kind: event.data.kind, graceEndsAt: event.data.graceEndsAt, replacedBy: event.data.replacedBy, lastUsedAt: event.data.lastUsedAt } };
    case 'KeyExpired':
      return { type: event.type, keyId: event.data.keyId, at: event.data.expiredAt, detail: { cause: event.data.cause } };
    case 'ExpiryNoticeIssued':
      return { type: event.type, keyId: event.data.keyId, at: event.data.noticedAt, detail: { acceptUntil: event.data.acceptUntil, daysBefore: event.data.daysBefore, lastUsedAt: event.data.lastUsedAt } };
    default:
      return { type: event.type, keyId: event.data.keyId };
  }
}

describe('lifecycle scheduler', () => {
  let world: World;
  let org: string;
  let counter = 0;

  beforeEach(() => {
    world = new World();
    org = `org-${++counter}`;
  });

  afterEach(async () => world.close());

  it('day 0 issue → day 335 rotation and notice → day 365 the old key expires, then the next year again', async () => {
    const scheduler = world.scheduler();
    const first = await world.issue(org);

    expect(await world.tickAt(0, scheduler, org)).toEqual([]);
    expect(await world.tickAt(334, scheduler, org)).toEqual([]);

    const rotation = await world.tickAt(335, scheduler, org);
    const second = rotation[0].keyId;
    expect(rotation).toEqual([
      { type: 'KeyIssued', keyId: second, at: day(335), detail: { reason: 'scheduled-rotation', replaces: first, expiresAt: day(700), actor: 'keywarden:scheduler' } },
      { type: 'KeyRevoked', keyId: first, at: day(335), detail: { kind: 'scheduled', graceEndsAt: day(365), replacedBy: second, lastUsedAt: null } },
      { type: 'ExpiryNoticeIssued', keyId: first, at: day(335), detail: { acceptUntil: day(365), daysBefore: 30, lastUsedAt: null } },
    ]);

    expect(await world.tickAt(336, scheduler, org)).toEqual([]);
    expect(await world.tickAt(364, scheduler, org)).toEqual([]);
    expect(await world.tickAt(365, scheduler, org)).toEqual([{ type: 'KeyExpired', keyId: first, at: day(365), detail: { cause: 'grace' } }]);
    expect(await world.tickAt(366, scheduler, org)).toEqual([]);

    // The replacement is rotated a year after it was issued, 30 days before its own expiry.
    expect(await world.tickAt(669, scheduler, org)).toEqual([]);
    const next = await world.tickAt(670, scheduler, org);
    expect(next.map((e) => [e.type, e.keyId])).toEqual([
      ['KeyIssued', next[0].keyId],
      ['KeyRevoked', second],
      ['ExpiryNoticeIssued', second],
    ]);
  });

  it('carries "last used" from the usage read model on the notice and on the rotation (null = never used)', async () => {
    const scheduler = world.scheduler();
    const key = await world.issue(org);
    world.lastUsed.set(key, day(300));
    const tick = await world.tickAt(335, scheduler, org);
    expect(tick.find((e) => e.type === 'ExpiryNoticeIssued')?.detail?.lastUsedAt).toBe(day(300));
    expect(tick.find((e) => e.type === 'KeyRevoked')?.detail?.lastUsedAt).toBe(day(300));
  });

  it('with the grace setting at 0, replaces the key at its expiry: the organisation is never left without a key', async () => {
    world.settings.set(org, { defaultGraceDays: 0 });
    const scheduler = world.scheduler();
    const first = await world.issue(org);
    expect((await world.tickAt(335, scheduler, org)).map((e) => e.type)).toEqual(['ExpiryNoticeIssued']);
    expect(await world.tickAt(364, scheduler, org)).toEqual([]);
    const atExpiry = await world.tickAt(365, scheduler, org);
    const second = atExpiry[1]?.keyId;
    expect(atExpiry).toEqual([
      { type: 'KeyExpired', keyId: first, at: day(365), detail: { cause: 'validity' } },
      { type: 'KeyIssued', keyId: second, at: day(365), detail: { reason: 'scheduled-rotation', replaces: first, expiresAt: day(730), actor: 'keywarden:scheduler' } },
      { type: 'KeyRevoked', keyId: first, at: day(365), detail: { kind: 'scheduled', graceEndsAt: day(365), replacedBy: second, lastUsedAt: null } },
    ]);
    expect(await world.tickAt(366, scheduler, org)).toEqual([]);
    // The successor follows the same rule a year on.
    expect((await world.tickAt(730, scheduler, org)).map((e) => [e.type, e.keyId])).toEqual([
      ['KeyExpired', second],
      ['KeyIssued', expect.any(String)],
      ['KeyRevoked', second],
    ]);
  });

  it('lets a key issued shorter than the lead (P30D, 30-day lead) serve half its validity, then replaces it with a rotation-interval key', async () => {
    const scheduler = world.scheduler();
    const key = await world.issue(org, { kind: 'days', days: 30 });
    expect((await world.tickAt(0, scheduler, org)).map((e) => e.type)).toEqual(['ExpiryNoticeIssued']);
    expect(await world.tickAt(1, scheduler, org)).toEqual([]);
    expect(await world.tickAt(14, scheduler, org)).toEqual([]);
    const rotation = await world.tickAt(15, scheduler, org);
    expect(rotation.map((e) => [e.type, e.type === 'KeyRevoked' ? e.detail?.graceEndsAt : e.detail?.expiresAt])).toEqual([
      ['KeyIssued', day(15 + 365)],
      ['KeyRevoked', day(30)],
    ]);
    expect(rotation[1].keyId).toBe(key);
  });

  it('lets a replacement chosen P7D at a revoke run until halfway before the schedule replaces it', async () => {
    const scheduler = world.scheduler();
    const old = await world.issue(org);
    world.clock.set(day(100));
    const week = await world.revoke(org, old, 0, { kind: 'days', days: 7 });
    expect(await world.tickAt(101, scheduler, org)).toEqual([{ type: 'ExpiryNoticeIssued', keyId: week, at: day(101), detail: { acceptUntil: day(107), daysBefore: 30, lastUsedAt: null } }]);
    expect(await world.tickAt(103, scheduler, org)).toEqual([]);
    const rotation = await world.tickAt(104, scheduler, org);
    expect(rotation.map((e) => [e.type, e.type === 'KeyRevoked' ? e.keyId : e.detail?.expiresAt])).toEqual([
      ['KeyIssued', day(104 + 365)],
      ['KeyRevoked', week],
    ]);
  });

  it('follows the organisation settings: notice days before the rotation lead, rotation interval', async () => {
    world.settings.set(org, { expiryNoticeDays: 60, defaultGraceDays: 20, rotationIntervalDays: 90 });
    const scheduler = world.scheduler();
    const key = await world.issue(org);

    expect(await world.tickAt(304, scheduler, org)).toEqual([]);
    expect(await world.tickAt(305, scheduler, org)).toEqual([
      { type: 'ExpiryNoticeIssued', keyId: key, at: day(305), detail: { acceptUntil: day(365), daysBefore: 60, lastUsedAt: null } },
    ]);
    // The rotation 20 days before the end does not notice the same end twice.
    const rotation = await world.tickAt(345, scheduler, org);
    expect(rotation.map((e) => e.type)).toEqual(['KeyIssued', 'KeyRevoked']);
    expect(rotation[0].detail?.expiresAt).toBe(day(345 + 90));
  });

  it('leaves a manually revoked key alone until its grace ends, then records its expiry', async () => {
    const scheduler = world.scheduler();
    const old = await world.issue(org);
    world.clock.set(day(100));
    const replacement = await world.revoke(org, old, 10);

    // No notice for a manual revoke: the revoke itself told the admins when the key stops.
    expect(await world.tickAt(105, scheduler, org)).toEqual([]);
    expect(await world.tickAt(110, scheduler, org)).toEqual([{ type: 'KeyExpired', keyId: old, at: day(110), detail: { cause: 'grace' } }]);
    // The replacement, issued at day 100 for 365 days, rotates at day 435.
    expect(await world.tickAt(434, scheduler, org)).toEqual([]);
    const rotation = await world.tickAt(435, scheduler, org);
    expect(rotation.map((e) => [e.type, e.type === 'KeyRevoked' ? e.keyId : undefined])).toEqual([
      ['KeyIssued', undefined],
      ['KeyRevoked', replacement],
      ['ExpiryNoticeIssued', undefined],
    ]);
  });

  it('does not record a second expiry for a key revoked without grace (the revoke recorded it)', async () => {
    const scheduler = world.scheduler();
    const old = await world.issue(org);
    world.clock.set(day(50));
    await world.revoke(org, old, 0);
    expect((await world.events(org)).filter((e) => e.type === 'KeyExpired')).toHaveLength(1);
    expect(await world.tickAt(51, scheduler, org)).toEqual([]);
    // Only the replacement's own story (issued at day 50, rotated late at day 400).
    expect((await world.tickAt(400, scheduler, org)).map((e) => e.type)).toEqual(['KeyIssued', 'KeyRevoked', 'ExpiryNoticeIssued']);
    expect((await world.events(org)).filter((e) => e.type === 'KeyExpired').map((e) => e.data.keyId)).toEqual([old]);
  });

  it('never rotates, notices or expires a never-expire key', async () => {
    const scheduler = world.scheduler();
    await world.issue(org, { kind: 'never' });
    for (const n of [0, 335, 365, 1000, 5000]) expect(await world.tickAt(n, scheduler, org)).toEqual([]);
  });

  it('stops the schedule of a key whose expiration was removed', async () => {
    const scheduler = world.scheduler();
    const key = await world.issue(org);
    world.clock.set(day(10));
    await world.removeExpiration(org, key);
    for (const n of [335, 365, 800]) expect(await world.tickAt(n, scheduler, org)).toEqual([]);
  });

  it('lets two instances on one store tick at once and rotate, notice and expire exactly once', async () => {
    const a = world.scheduler();
    const b = world.scheduler(world.secondStore());
    await world.issue(org);
    for (const n of [335, 336, 365]) {
      world.clock.set(day(n));
      await Promise.all([a.tick(), b.tick(), a.tick()]);
    }
    const types = (await world.events(org)).map((e) => e.type);
    expect(types).toEqual(['KeyIssued', 'KeyIssued', 'KeyRevoked', 'ExpiryNoticeIssued', 'KeyExpired']);
  });

  it('resolves a conflict by deciding again: the other instance did it, so nothing is recorded twice', async () => {
    const other = world.scheduler(world.secondStore());
    // This instance's store lets the other instance rotate between its read and its append.
    let raced = false;
    const racing = new Proxy(world.store, {
      get(target, property, receiver) {
        if (property !== 'appendToStream') return Reflect.get(target, property, receiver);
        return async (streamId: string, events: readonly NewEvent[], expected: ExpectedRevision) => {
          if (!raced && events.some((e) => e.type === 'KeyIssued')) {
            raced = true;
            await other.tick();
          }
          return target.appendToStream(streamId, events, expected);
        };
      },
    }) as EventStore;
    const scheduler = world.scheduler(racing);
    await world.issue(org);
    world.clock.set(day(335));
    const report = await scheduler.tick();
    expect(raced).toBe(true);
    expect(report.recorded).toEqual({});
    expect((await world.events(org)).map((e) => e.type)).toEqual(['KeyIssued', 'KeyIssued', 'KeyRevoked', 'ExpiryNoticeIssued']);
    // The key this instance generated for its lost rotation was shredded, not left behind.
    const issuedIds = (await world.events(org)).flatMap((e) => (e.type === 'KeyIssued' ? [e.data.material.dataKeyId] : []));
    expect(world.dataKeys.destroyed).toHaveLength(1);
    expect(issuedIds).not.toContain(world.dataKeys.destroyed[0]);
    for (const id of issuedIds) expect(await world.dataKeys.get(id)).not.toBeNull();
  });

  it('does what became due when a tick comes late, and never skips the notice of a key still working', async () => {
    const scheduler = world.scheduler();
    const first = await world.issue(org);
    const late = await world.tickAt(350, scheduler, org);
    expect(late.map((e) => [e.type, e.at])).toEqual([
      ['KeyIssued', day(350)],
      ['KeyRevoked', day(350)],
      ['ExpiryNoticeIssued', day(350)],
    ]);
    // The old key still stops at its original expiry: a late rotation never extends it.
    expect(late[1].detail?.graceEndsAt).toBe(day(365));
    expect(late[0].keyId).not.toBe(first);
  });

  it('records an expiry at the instant the key ended and replaces the key, even when the first tick comes long after', async () => {
    const scheduler = world.scheduler();
    const key = await world.issue(org, { kind: 'days', days: 30 });
    const late = await world.tickAt(400, scheduler, org);
    const next = late[1]?.keyId;
    expect(late).toEqual([
      { type: 'KeyExpired', keyId: key, at: day(30), detail: { cause: 'validity' } },
      { type: 'KeyIssued', keyId: next, at: day(400), detail: { reason: 'scheduled-rotation', replaces: key, expiresAt: day(765), actor: 'keywarden:scheduler' } },
      // The old key still ends at its expiry, long past: a late rotation never brings it back.
      { type: 'KeyRevoked', keyId: key, at: day(400), detail: { kind: 'scheduled', graceEndsAt: day(30), replacedBy: next, lastUsedAt: null } },
    ]);
    expect(await world.tickAt(401, scheduler, org)).toEqual([]);
  });

  it('rotates a key found past its expiry once, when two instances tick late at once', async () => {
    const a = world.scheduler();
    const b = world.scheduler(world.secondStore());
    await world.issue(org);
    for (const n of [400, 400, 401]) {
      world.clock.set(day(n));
      await Promise.all([a.tick(), b.tick(), a.tick()]);
    }
    expect((await world.events(org)).map((e) => e.type)).toEqual(['KeyIssued', 'KeyExpired', 'KeyIssued', 'KeyRevoked']);
  });

  it('picks up where it was after a restart: a new instance records nothing already recorded', async () => {
    await world.issue(org);
    await world.tickAt(335, world.scheduler(), org);
    expect(await world.tickAt(335, world.scheduler(), org)).toEqual([]);
    expect(await world.tickAt(340, world.scheduler(), org)).toEqual([]);
    expect((await world.tickAt(365, world.scheduler(), org)).map((e) => e.type)).toEqual(['KeyExpired']);
  });

  it('leaves alone a ring with an event that breaks its contract, and still schedules the others', async () => {
    const broken = `${org}-broken`;
    await world.issue(broken);
    await world.store.appendToStream(keyRingStream(broken), [{ eventId: randomUUID(), type: 'KeyRevoked', data: { keyId: 42 }, metadata: {} }], 0n);
    await world.issue(org);
    world.clock.set(day(335));
    const report = await world.scheduler().tick();
    expect((await world.events(org)).map((e) => e.type)).toEqual(['KeyIssued', 'KeyIssued', 'KeyRevoked', 'ExpiryNoticeIssued']);
    expect((await world.store.readStream(keyRingStream(broken))).map((e) => e.type)).toEqual(['KeyIssued', 'KeyRevoked']);
    // Skipped once by the index, not tried and failed at every tick.
    expect(report.failedRings).toBe(0);
    expect(world.logs.text).toContain('key-ring event does not match its contract: ring skipped');
  });

  it('finds organisations created after it started, and keeps going when one ring fails', async () => {
    const scheduler = world.scheduler();
    await scheduler.tick();
    const late = `${org}-late`;
    await world.issue(late);
    await world.issue(org);
    world.settings.set(org, { rotationIntervalDays: 0 });
    world.clock.set(day(335));
    const report = await scheduler.tick();
    expect(report.failedRings).toBe(1);
    expect((await world.events(late)).map((e) => e.type)).toEqual(['KeyIssued', 'KeyIssued', 'KeyRevoked', 'ExpiryNoticeIssued']);
    expect(world.logs.text).toContain('scheduler could not process this ring');
  });
});
