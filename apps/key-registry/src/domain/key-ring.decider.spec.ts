import { KeyRingEvent } from '@keywarden/contracts';
import { DeciderSpecification } from '@keywarden/event-store/testing';
import {
  acceptUntil,
  currentKey,
  decide,
  evolve,
  fold,
  KeyRingCommand,
  KeyRingFold,
  statusAt,
  visibleKeys,
} from './key-ring.decider';
import { KeyRingError } from './key-ring.errors';
import { admin, day, DAY0, issue, leak, meta, newKey, ORG, revoke, year } from './testing/key-ring.fixtures';
import { parseGrace, parseValidity } from './validity';

const given = DeciderSpecification.for({ decide, fold: (events: readonly KeyRingEvent[]) => fold(events) }, KeyRingError);

const history = (...commands: KeyRingCommand[]): KeyRingEvent[] =>
  commands.reduce<KeyRingEvent[]>((events, c) => [...events, ...decide(c, fold(events))], []);

describe('key ring decider', () => {
  describe('issue', () => {
    it('issues the first key with the chosen validity', () =>
      given([]).when(issue('key_a')).then((events) => {
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({
          type: 'KeyIssued',
          data: { orgId: ORG, keyId: 'key_a', issuedAt: DAY0, expiresAt: day(365), reason: 'initial', actor: admin },
        });
      }));

    it('issues a never-expiring key', () =>
      given([]).when(issue('key_a', DAY0, { kind: 'never' })).then((events) => {
        expect(events[0]).toMatchObject({ type: 'KeyIssued', data: { expiresAt: null } });
      }));

    it('refuses a second key while the current one is active', () =>
      given(history(issue('key_a'))).when(issue('key_b', day(1))).thenRefuses('ACTIVE_KEY_EXISTS'));

    it('refuses a second key while the current one is revoked but in grace', () =>
      given(history(issue('key_a'), revoke('key_a', 'key_b'))).when(issue('key_c', day(1))).thenRefuses('ACTIVE_KEY_EXISTS'));

    it('issues a new key once the current one has expired', () =>
      given(history(issue('key_a', DAY0, { kind: 'days', days: 10 })))
        .when(issue('key_b', day(10)))
        .then((events) => expect(events[0]).toMatchObject({ type: 'KeyIssued', data: { keyId: 'key_b' } })));

    it('refuses a validity over a year', () =>
      given([]).when(issue('key_a', DAY0, { kind: 'days', days: 366 })).thenRefuses('INVALID_VALIDITY'));

    it('refuses a key id that was used before, even by a deleted key', () => {
      const events = history(issue('key_a', DAY0, { kind: 'days', days: 1 }), {
        type: 'DeleteKey',
        data: { keyId: 'key_a' },
        metadata: meta(day(2)),
      });
      given(events).when(issue('key_a', day(2))).thenRefuses('KEY_ID_TAKEN');
    });
  });

  describe('revoke', () => {
    it('revokes with a 30-day grace and issues the replacement in the same decision', () =>
      given(history(issue('key_a'))).when(revoke('key_a', 'key_b', 30, day(100))).then((events) => {
        expect(events.map((e) => e.type)).toEqual(['KeyIssued', 'KeyRevoked']);
        expect(events[0]).toMatchObject({ data: { keyId: 'key_b', reason: 'manual-rotation', replaces: 'key_a', expiresAt: day(465) } });
        expect(events[1]).toMatchObject({
          data: { keyId: 'key_a', revokedAt: day(100), graceEndsAt: day(130), kind: 'manual', replacedBy: 'key_b' },
        });
      }));

    it('keeps both keys accepted during the grace, and only the new one after it', () => {
      const ring = fold(history(issue('key_a'), revoke('key_a', 'key_b', 30, day(100))));
      const [b, a] = visibleKeys(ring);
      expect(statusAt(a, day(129))).toBe('revoked');
      expect(statusAt(b, day(129))).toBe('active');
      expect(statusAt(a, day(130))).toBe('expired');
      expect(currentKey(ring)?.keyId).toBe('key_b');
    });

    it('with grace 0 stops the old key at once and records its end', () =>
      given(history(issue('key_a'))).when(revoke('key_a', 'key_b', 0, day(5))).then((events) => {
        expect(events.map((e) => e.type)).toEqual(['KeyIssued', 'KeyRevoked', 'KeyExpired']);
        const ring = fold(events, fold(history(issue('key_a'))));
        expect(statusAt(ring.keys[0], day(5))).toBe('expired');
      }));

    it('never extends a key past its own expiry', () =>
      given(history(issue('key_a', DAY0, { kind: 'days', days: 10 }))).when(revoke('key_a', 'key_b', 30, day(5))).then((events) => {
        expect(events[1]).toMatchObject({ type: 'KeyRevoked', data: { graceEndsAt: day(10) } });
      }));

    it('refuses a grace over 30 days', () => given(history(issue('key_a'))).when(revoke('key_a', 'key_b', 31)).thenRefuses('INVALID_GRACE'));

    it('refuses an unknown key', () => given(history(issue('key_a'))).when(revoke('key_x', 'key_b')).thenRefuses('KEY_NOT_FOUND'));

    it('refuses a key that is already revoked', () =>
      given(history(issue('key_a'), revoke('key_a', 'key_b'))).when(revoke('key_a', 'key_c', 30, day(1))).thenRefuses('KEY_ALREADY_REVOKED'));

    it('refuses an expired key', () =>
      given(history(issue('key_a', DAY0, { kind: 'days', days: 10 }))).when(revoke('key_a', 'key_b', 30, day(11))).thenRefuses('KEY_EXPIRED'));
  });

  describe('leak reported by a secret scanner', () => {
    it('under "revoke" revokes an active key with grace 0, replaces it, and records the leak last', () =>
      given(history(issue('key_a'))).when(leak('key_a', 'key_b', 'revoke', day(3))).then((events) => {
        expect(events.map((e) => e.type)).toEqual(['KeyIssued', 'KeyRevoked', 'KeyExpired', 'KeyLeaked']);
        expect(events[0]).toMatchObject({ data: { keyId: 'key_b', replaces: 'key_a', reason: 'manual-rotation' } });
        expect(events[1]).toMatchObject({ data: { keyId: 'key_a', graceEndsAt: day(3), kind: 'manual', actor: { sub: 'keywarden:secret-scanning:github' } } });
        expect(events[3]).toMatchObject({
          data: { keyId: 'key_a', leakedAt: day(3), url: 'https://github.com/o/r/blob/abc/config.env', source: 'content', response: 'revoked', replacedBy: 'key_b' },
        });
        const ring = fold(events, fold(history(issue('key_a'))));
        expect(statusAt(ring.keys[0], day(3))).toBe('expired');
        expect(statusAt(ring.keys[1], day(3))).toBe('active');
        expect(ring.keys[0].leak).toMatchObject({ at: day(3), source: 'content' });
      }));

    it('under "notify" records the leak only: the key stays active', () =>
      given(history(issue('key_a'))).when(leak('key_a', 'key_b', 'notify', day(3))).then((events) => {
        expect(events.map((e) => e.type)).toEqual(['KeyLeaked']);
        expect(events[0]).toMatchObject({ data: { response: 'notified', replacedBy: null } });
      }));

    it('records nothing for a second report of the same key', () =>
      given(history(issue('key_a'), leak('key_a', 'key_b', 'notify', day(3)))).when(leak('key_a', 'key_c', 'revoke', day(4))).then((events) =>
        expect(events).toEqual([]),
      ));

    it('cuts short the grace of a key already revoked, whose replacement exists', () =>
      given(history(issue('key_a'), revoke('key_a', 'key_b', 30, day(1)))).when(leak('key_a', 'key_c', 'revoke', day(2))).then((events) => {
        expect(events.map((e) => e.type)).toEqual(['KeyExpired', 'KeyLeaked']);
        expect(events[1]).toMatchObject({ data: { response: 'revoked', replacedBy: 'key_b' } });
      }));

    it('records an expired key as already stopped, issuing nothing', () =>
      given(history(issue('key_a', DAY0, { kind: 'days', days: 10 }))).when(leak('key_a', 'key_b', 'revoke', day(20))).then((events) => {
        expect(events.map((e) => e.type)).toEqual(['KeyLeaked']);
        expect(events[0]).toMatchObject({ data: { response: 'already-stopped' } });
      }));

    it('refuses a deleted key as unknown', () =>
      given(history(issue('key_a'), revoke('key_a', 'key_b', 0, day(1)), { type: 'DeleteKey', data: { keyId: 'key_a' }, metadata: meta(day(1)) })).when(
        leak('key_a', 'key_c', 'revoke', day(2)),
      ).thenRefuses('KEY_NOT_FOUND'));
  });

  describe('remove expiration ("never expire")', () => {
    const removeExpiration = (keyId: string, now = day(1)): KeyRingCommand => ({ type: 'RemoveExpiration', data: { keyId }, metadata: meta(now) });

    it('removes the expiry of the current key', () =>
      given(history(issue('key_a'))).when(removeExpiration('key_a')).then((events) => {
        expect(events).toEqual([{ type: 'ExpirationRemoved', data: { orgId: ORG, keyId: 'key_a', removedAt: day(1), actor: admin } }]);
        const key = fold(events, fold(history(issue('key_a')))).keys[0];
        expect(key.expiresAt).toBeNull();
        expect(statusAt(key, day(5000))).toBe('active');
      }));

    it('records nothing when the key already never expires', () =>
      given(history(issue('key_a', DAY0, { kind: 'never' }))).when(removeExpiration('key_a')).thenNothingHappened());

    it('refuses a key that is not the current one', () =>
      given(history(issue('key_a'), revoke('key_a', 'key_b'))).when(removeExpiration('key_a')).thenRefuses('KEY_NOT_CURRENT'));

    it('refuses an expired current key', () =>
      given(history(issue('key_a', DAY0, { kind: 'days', days: 2 }))).when(removeExpiration('key_a', day(3))).thenRefuses('KEY_EXPIRED'));
  });

  describe('delete', () => {
    const del = (keyId: string, now = day(1)): KeyRingCommand => ({ type: 'DeleteKey', data: { keyId }, metadata: meta(now) });

    it('refuses to delete an active key', () => given(history(issue('key_a'))).when(del('key_a')).thenRefuses('KEY_STILL_ACTIVE'));

    it('deletes a revoked key still in grace, which stops it at once', () =>
      given(history(issue('key_a'), revoke('key_a', 'key_b'))).when(del('key_a')).then((events) => {
        expect(events).toEqual([{ type: 'KeyDeleted', data: { orgId: ORG, keyId: 'key_a', deletedAt: day(1), actor: admin } }]);
        const ring = fold(events, fold(history(issue('key_a'), revoke('key_a', 'key_b'))));
        expect(visibleKeys(ring).map((k) => k.keyId)).toEqual(['key_b']);
      }));

    it('deletes an expired key', () =>
      given(history(issue('key_a', DAY0, { kind: 'days', days: 2 }))).when(del('key_a', day(3))).then((events) =>
        expect(events[0].type).toBe('KeyDeleted'),
      ));

    it('refuses a key that was already deleted', () =>
      given(history(issue('key_a'), revoke('key_a', 'key_b'), del('key_a'))).when(del('key_a', day(2))).thenRefuses('KEY_NOT_FOUND'));
  });

  describe('expiry', () => {
    const expire = (keyId: string, now: string): KeyRingCommand => ({ type: 'ExpireKey', data: { keyId }, metadata: meta(now) });

    it('records the end of validity at the instant it ended, even when the tick is late', () =>
      given(history(issue('key_a', DAY0, { kind: 'days', days: 10 }))).when(expire('key_a', day(12))).then((events) =>
        expect(events).toEqual([{ type: 'KeyExpired', data: { orgId: ORG, keyId: 'key_a', expiredAt: day(10), cause: 'validity' } }]),
      ));

    it('records the end of a grace period', () =>
      given(history(issue('key_a'), revoke('key_a', 'key_b', 30))).when(expire('key_a', day(30))).then((events) =>
        expect(events[0]).toMatchObject({ data: { expiredAt: day(30), cause: 'grace' } }),
      ));

    it('does nothing before the end, twice, or for a never-expiring key', () => {
      given(history(issue('key_a'))).when(expire('key_a', day(364))).thenNothingHappened();
      const ended = history(issue('key_a', DAY0, { kind: 'days', days: 1 }), expire('key_a', day(2)));
      given(ended).when(expire('key_a', day(3))).thenNothingHappened();
      given(history(issue('key_a', DAY0, { kind: 'never' }))).when(expire('key_a', day(9999))).thenNothingHappened();
    });
  });

  describe('scheduled rotation', () => {
    const rotate = (keyId: string, replacement: string, now: string, leadDays = 30, lastUsedAt?: string | null): KeyRingCommand => ({
      type: 'RotateKeyOnSchedule',
      data: { keyId, leadDays, newKey: newKey(replacement), newKeyValidity: year, ...(lastUsedAt !== undefined ? { lastUsedAt } : {}) },
      metadata: { now, actor: { sub: 'keywarden:scheduler', email: null } },
    });
    const expire = (keyId: string, now: string): KeyRingCommand => ({ type: 'ExpireKey', data: { keyId }, metadata: meta(now) });

    it('issues the next key 30 days before expiry and revokes the current one with its grace ending at its expiry', () =>
      given(history(issue('key_a'))).when(rotate('key_a', 'key_b', day(335))).then((events) => {
        expect(events.map((e) => e.type)).toEqual(['KeyIssued', 'KeyRevoked']);
        expect(events[0]).toMatchObject({ data: { keyId: 'key_b', reason: 'scheduled-rotation', replaces: 'key_a' } });
        expect(events[1]).toMatchObject({ data: { keyId: 'key_a', graceEndsAt: day(365), kind: 'scheduled', replacedBy: 'key_b' } });
        const a = fold(events, fold(history(issue('key_a')))).keys[0];
        expect(acceptUntil(a)).toBe(day(365));
      }));

    it('does nothing before the lead time, and nothing when repeated (idempotent)', () => {
      given(history(issue('key_a'))).when(rotate('key_a', 'key_b', day(334))).thenNothingHappened();
      given(history(issue('key_a'), rotate('key_a', 'key_b', day(335))))
        .when(rotate('key_a', 'key_c', day(336)))
        .thenNothingHappened();
    });

    it('never rotates a never-expiring key', () =>
      given(history(issue('key_a', DAY0, { kind: 'never' }))).when(rotate('key_a', 'key_b', day(400))).thenNothingHappened());

    it('with a lead of 0 (grace setting 0) replaces the key at its expiry instead of leaving the organisation without one', () => {
      given(history(issue('key_a'))).when(rotate('key_a', 'key_b', day(364), 0)).thenNothingHappened();
      given(history(issue('key_a'))).when(rotate('key_a', 'key_b', day(365), 0)).then((events) => {
        expect(events.map((e) => e.type)).toEqual(['KeyIssued', 'KeyRevoked']);
        expect(events[0]).toMatchObject({ data: { keyId: 'key_b', issuedAt: day(365), reason: 'scheduled-rotation', replaces: 'key_a', expiresAt: day(730) } });
        expect(events[1]).toMatchObject({ data: { keyId: 'key_a', graceEndsAt: day(365), kind: 'scheduled', replacedBy: 'key_b' } });
        expect(currentKey(fold(events, fold(history(issue('key_a')))))?.keyId).toBe('key_b');
      });
    });

    it('still rotates on a tick long after the expiry, even once the expiry was recorded, and never extends the old key', () => {
      const ended = history(issue('key_a'), expire('key_a', day(400)));
      given(ended).when(rotate('key_a', 'key_b', day(400))).then((events) => {
        expect(events.map((e) => e.type)).toEqual(['KeyIssued', 'KeyRevoked']);
        expect(events[0]).toMatchObject({ data: { keyId: 'key_b', issuedAt: day(400), replaces: 'key_a', expiresAt: day(765) } });
        expect(events[1]).toMatchObject({ data: { keyId: 'key_a', revokedAt: day(400), graceEndsAt: day(365) } });
        const ring = fold(events, fold(ended));
        expect(statusAt(ring.keys[0], day(400))).toBe('expired');
        expect(statusAt(ring.keys[1], day(400))).toBe('active');
      });
      // Late, repeated ticks rotate once.
      given(history(issue('key_a'), expire('key_a', day(400)), rotate('key_a', 'key_b', day(400))))
        .when(rotate('key_a', 'key_c', day(401)))
        .thenNothingHappened();
    });

    it('does not rotate a key that was revoked by an admin, even after its grace', () =>
      given(history(issue('key_a'), revoke('key_a', 'key_b', 10, day(100))))
        .when(rotate('key_a', 'key_c', day(400)))
        .thenNothingHappened());

    it('lets a key chosen shorter than the lead serve half its validity before it is replaced', () => {
      const month = history(issue('key_a', DAY0, { kind: 'days', days: 30 }));
      given(month).when(rotate('key_a', 'key_b', day(0))).thenNothingHappened();
      given(month).when(rotate('key_a', 'key_b', day(14))).thenNothingHappened();
      given(month).when(rotate('key_a', 'key_b', day(15))).then((events) => {
        // The successor gets the rotation interval it is given (the organisation's), the old key keeps its end.
        expect(events[0]).toMatchObject({ data: { keyId: 'key_b', expiresAt: day(380) } });
        expect(events[1]).toMatchObject({ data: { keyId: 'key_a', graceEndsAt: day(30) } });
      });
    });

    it('lets a replacement chosen P7D at a revoke run 3.5 days before the schedule replaces it', () => {
      const revokedForAWeek = history(issue('key_a'), {
        type: 'RevokeKey',
        data: { keyId: 'key_a', graceDays: 0, reason: null, newKey: newKey('key_b'), newKeyValidity: { kind: 'days', days: 7 } },
        metadata: meta(day(100)),
      });
      const halfway = new Date(Date.parse(day(103)) + 12 * 3_600_000).toISOString();
      given(revokedForAWeek).when(rotate('key_b', 'key_c', day(101))).thenNothingHappened();
      given(revokedForAWeek).when(rotate('key_b', 'key_c', new Date(Date.parse(halfway) - 1).toISOString())).thenNothingHappened();
      given(revokedForAWeek).when(rotate('key_b', 'key_c', halfway)).then((events) =>
        expect(events[1]).toMatchObject({ type: 'KeyRevoked', data: { keyId: 'key_b', graceEndsAt: day(107), replacedBy: 'key_c' } }),
      );
    });

    it('records when the outgoing key was last used (null = never), for the rotation mail', () => {
      given(history(issue('key_a'))).when(rotate('key_a', 'key_b', day(335), 30, null)).then((events) =>
        expect(events[1]).toMatchObject({ type: 'KeyRevoked', data: { lastUsedAt: null } }),
      );
      given(history(issue('key_a'))).when(rotate('key_a', 'key_b', day(335), 30, day(300))).then((events) =>
        expect(events[1]).toMatchObject({ type: 'KeyRevoked', data: { lastUsedAt: day(300) } }),
      );
      given(history(issue('key_a'))).when(rotate('key_a', 'key_b', day(335))).then((events) => expect(events[1].data).not.toHaveProperty('lastUsedAt'));
    });
  });

  describe('expiry notice', () => {
    const notice = (keyId: string, now: string): KeyRingCommand => ({ type: 'IssueExpiryNotice', data: { keyId, noticeDays: 30 }, metadata: meta(now) });

    it('is due 30 days before the key stops working, once', () => {
      given(history(issue('key_a'))).when(notice('key_a', day(334))).thenNothingHappened();
      given(history(issue('key_a'))).when(notice('key_a', day(335))).then((e) =>
        expect(e).toEqual([
          { type: 'ExpiryNoticeIssued', data: { orgId: ORG, keyId: 'key_a', noticedAt: day(335), acceptUntil: day(365), daysBefore: 30 } },
        ]),
      );
      given(history(issue('key_a'), notice('key_a', day(335)))).when(notice('key_a', day(340))).thenNothingHappened();
    });

    it('records the notice time of a late notice, from which the mail counts the days left; daysBefore stays the notice period', () =>
      given(history(issue('key_a'))).when(notice('key_a', day(350))).then((e) =>
        expect(e).toEqual([
          { type: 'ExpiryNoticeIssued', data: { orgId: ORG, keyId: 'key_a', noticedAt: day(350), acceptUntil: day(365), daysBefore: 30 } },
        ]),
      ));

    it('is never due for a never-expiring key or a manually revoked one', () => {
      given(history(issue('key_a', DAY0, { kind: 'never' }))).when(notice('key_a', day(9000))).thenNothingHappened();
      given(history(issue('key_a'), revoke('key_a', 'key_b', 30, day(1)))).when(notice('key_a', day(2))).thenNothingHappened();
    });
  });

  describe('reveal', () => {
    const reveal = (keyId: string, now: string): KeyRingCommand => ({
      type: 'RecordReveal',
      data: { keyId, revealRequestId: 'req-1' },
      metadata: meta(now),
    });

    it('records who viewed which key', () =>
      given(history(issue('key_a'))).when(reveal('key_a', day(1))).then((e) =>
        expect(e).toEqual([{ type: 'KeyRevealed', data: { orgId: ORG, keyId: 'key_a', revealedAt: day(1), revealRequestId: 'req-1', actor: admin } }]),
      ));

    it('refuses an expired key', () =>
      given(history(issue('key_a', DAY0, { kind: 'days', days: 1 }))).when(reveal('key_a', day(2))).thenRefuses('KEY_EXPIRED'));
  });

  describe('fold', () => {
    // Every event type, on a ring of many keys, some events naming a key the ring never had.
    const mixed = (keys: number, from = 0): KeyRingEvent[] =>
      Array.from({ length: keys }, (_, n): KeyRingEvent[] => {
        const i = from + n;
        const keyId = `key_${String(i).padStart(5, '0')}`;
        const at = day(i);
        const [issued] = decide(issue(keyId, at), fold([]));
        const lifecycle: KeyRingEvent[] = [
          issued,
          { type: 'KeyRevealed', data: { orgId: ORG, keyId, revealedAt: at, revealRequestId: `r-${i}`, actor: admin } },
          { type: 'ExpiryNoticeIssued', data: { orgId: ORG, keyId, noticedAt: at, acceptUntil: day(i + 30), daysBefore: 30 } },
          { type: 'ExpirationRemoved', data: { orgId: ORG, keyId, removedAt: at, actor: admin } },
          { type: 'KeyRevoked', data: { orgId: ORG, keyId, revokedAt: at, graceEndsAt: day(i + 1), kind: 'manual', reason: 'r', replacedBy: null, actor: admin } },
          { type: 'KeyExpired', data: { orgId: ORG, keyId, expiredAt: day(i + 1), cause: 'grace' } },
          { type: 'KeyDeleted', data: { orgId: ORG, keyId: `unknown_${i}`, deletedAt: at, actor: admin } },
        ];
        return i % 3 === 0 ? [...lifecycle, { type: 'KeyDeleted', data: { orgId: ORG, keyId, deletedAt: at, actor: admin } }] : lifecycle.slice(0, 1 + (i % 6));
      }).flat();

    it('gives the ring evolve gives, event by event, from nothing and from an earlier ring, leaving that ring as it was', () => {
      const first = mixed(40);
      const then = mixed(30, 40);
      expect(fold(first)).toEqual(first.reduce(evolve, fold([])));
      const start = fold(first);
      const snapshot = JSON.stringify(start);
      expect(fold(then, start)).toEqual(then.reduce(evolve, start));
      expect(JSON.stringify(start)).toBe(snapshot);
      expect(fold([], start)).toBe(start);
    });

    it('gives the same ring fed one event at a time, and each ring() it hands out stays as it was', () => {
      const events = [...mixed(40), ...mixed(30, 40)];
      const folding = new KeyRingFold();
      events.slice(0, 100).forEach((e) => folding.apply(e));
      const midway = folding.ring();
      const snapshot = JSON.stringify(midway);
      events.slice(100).forEach((e) => folding.apply(e));

      expect(midway).toEqual(events.slice(0, 100).reduce(evolve, fold([])));
      expect(folding.ring()).toEqual(events.reduce(evolve, fold([])));
      expect(JSON.stringify(midway)).toBe(snapshot);
    });
  });

  describe('durations', () => {
    it('accepts days, weeks and one year, and "never"', () => {
      expect(parseValidity('P365D', 365)).toEqual({ kind: 'days', days: 365 });
      expect(parseValidity('P1Y', 365)).toEqual({ kind: 'days', days: 365 });
      expect(parseValidity('P2W', 365)).toEqual({ kind: 'days', days: 14 });
      expect(parseValidity('never', 365)).toEqual({ kind: 'never' });
      expect(parseValidity(undefined, 90)).toEqual({ kind: 'days', days: 90 });
      expect(parseGrace('P0D', 30)).toBe(0);
      expect(parseGrace(undefined, 7)).toBe(7);
    });

    it.each(['P366D', 'P0D', 'P1M', '365', 'P2Y', '', 'forever'])('refuses validity %p', (value) => {
      expect(() => parseValidity(value, 365)).toThrow(expect.objectContaining({ code: 'INVALID_VALIDITY' }));
    });

    it.each(['P31D', 'P5W', '-P1D', 'P1M', '30'])('refuses grace %p', (value) => {
      expect(() => parseGrace(value, 30)).toThrow(expect.objectContaining({ code: 'INVALID_GRACE' }));
    });
  });
});
