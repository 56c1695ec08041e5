import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { CE_HEADERS, deadLetterTopic, envelopeToHeaders, KEY_INVALIDATED_TYPE, KEY_RING_SCHEMA_VERSION, KeyRingEvent, keyRingStream, Topics } from '@keywarden/contracts';
import { ActiveKeyCache } from '@keywarden/key-cache';
import { DLQ_HEADERS, IncomingMessage, MessageBus } from '@keywarden/messaging';
import { EmbeddedHarness } from '../../../../test/support/embedded-harness';
import { waitFor } from '../../../../test/support/wait-for';
import { startKeyCacheProjection } from '../key-cache-projection.service';
import { readTopics } from '../../../../test/support/topic-reader';

// The key-cache projection's real consumer on the real Kafka broker and Redis of the Jest global
// setup, in this file's own namespace of topics, groups and Redis keys. Lifecycle messages are
// published here exactly as the registry's relay publishes them (value = event data, envelope in
// headers), so duplicates, old revisions and poison can be sent on purpose. Each test has its own
// organisation; one organisation's messages share a partition, so once a later message is applied,
// every earlier one was handled.
jest.setTimeout(90_000);

const DAY = 86_400_000;
const actor = { sub: 'admin', email: 'admin@example.test' };

describe('key-cache projection on Kafka and Redis', () => {
  const namespace = `kcp-${randomUUID().slice(0, 8)}`;
  let harness: EmbeddedHarness;
  let bus: MessageBus;
  let cache: ActiveKeyCache;
  let redis: Redis;
  let prefix: string;
  let received: IncomingMessage[] = [];
  let stopReader: () => Promise<void>;
  let counter = 0;
  let org = '';

  beforeAll(async () => {
    if (!process.env.KAFKA_BROKERS || !process.env.REDIS_URL) throw new Error('KAFKA_BROKERS / REDIS_URL are not set: the Jest global setup starts them for the int tests');
    harness = new EmbeddedHarness({ env: { KAFKA_BROKERS: process.env.KAFKA_BROKERS, REDIS_URL: process.env.REDIS_URL, KEYWARDEN_NAMESPACE: namespace } });
    await harness.start(startKeyCacheProjection);
    bus = harness.infra.messageBus();
    cache = await harness.infra.activeKeyCache();
    prefix = harness.infra.redisKeyPrefix;
    redis = new Redis(process.env.REDIS_URL);
    // What the edge consumes, and where poison goes: read with a group of this file's own.
    const reader = await readTopics(bus, { topics: [Topics.cacheInvalidations, deadLetterTopic(Topics.keyLifecycle)], fromBeginning: true });
    received = reader.messages;
    stopReader = () => reader.stop();
  });

  afterAll(async () => {
    await stopReader?.();
    await cache?.clear();
    redis?.disconnect();
    await harness?.stop();
  });

  beforeEach(() => {
    org = `${namespace}-org-${++counter}`;
  });

  const fingerprintOf = (keyId: string): string => Buffer.from(`${org}/${keyId}`).toString('hex').padEnd(64, '0').slice(-64);
  const at = (offsetMs: number): string => new Date(Date.now() + offsetMs).toISOString();
  const issued = (keyId: string, expiresAt: string | null): KeyRingEvent => ({
    type: 'KeyIssued',
    data: {
      orgId: org,
      keyId,
      fingerprint: fingerprintOf(keyId),
      hint: 'kw_…abcd',
      material: { alg: 'A256GCM', dataKeyId: keyId, iv: '', ciphertext: '', tag: '' },
      issuedAt: at(0),
      expiresAt,
      reason: 'initial',
      replaces: null,
      actor,
    },
  });
  const revoked = (keyId: string, graceEndsAt: string, replacedBy: string): KeyRingEvent => ({
    type: 'KeyRevoked',
    data: { orgId: org, keyId, revokedAt: at(0), graceEndsAt, kind: 'manual', reason: null, replacedBy, actor },
  });
  const revealed = (keyId: string): KeyRingEvent => ({
    type: 'KeyRevealed',
    data: { orgId: org, keyId, revealedAt: at(0), revealRequestId: randomUUID(), actor },
  });

  type Sent = { id: string; revision: number; event: KeyRingEvent; requestId: string };

  /** One lifecycle message as the relay publishes it. */
  const message = ({ id, revision, event, requestId }: Sent) => ({
    topic: Topics.keyLifecycle,
    key: org,
    value: JSON.stringify(event.data),
    headers: envelopeToHeaders({
      id,
      type: event.type,
      source: 'keywarden/key-registry',
      schemaVersion: KEY_RING_SCHEMA_VERSION,
      orgId: org,
      streamId: keyRingStream(org),
      streamRevision: revision,
      time: at(0),
      correlationId: requestId,
      causationId: randomUUID(),
    }),
  });

  async function publish(revision: number, event: KeyRingEvent): Promise<Sent> {
    const sent = { id: randomUUID(), revision, event, requestId: `req-${randomUUID().slice(0, 8)}` };
    await bus.publish([message(sent)]);
    return sent;
  }

  const appliedUpTo = (revision: number) =>
    waitFor(async () => (await cache.ringRevision(org)) === revision, { timeoutMs: 30_000, description: `ring revision ${revision} of ${org} in Redis` });

  /** Everything Redis holds for the organisation's keys: entries (with their expiry) and the index. */
  async function redisState(keyIds: string[]) {
    const entries: Record<string, unknown> = {};
    for (const keyId of keyIds) {
      const name = `${prefix}key:${fingerprintOf(keyId)}`;
      entries[keyId] = { value: await redis.get(name), expiresAt: await redis.pexpiretime(name) };
    }
    return { entries, index: await redis.hgetall(`${prefix}org:${org}:keys`) };
  }

  const invalidationsOf = (keyId: string) =>
    received.filter((m) => m.topic === Topics.cacheInvalidations && m.key === org && (JSON.parse(m.value) as { keyId: string }).keyId === keyId);

  it('changes nothing in Redis for a duplicate delivery or an older revision', async () => {
    await publish(0, issued('key_a', at(365 * DAY)));
    await publish(1, issued('key_b', at(365 * DAY)));
    const revoke = await publish(2, revoked('key_a', at(7 * DAY), 'key_b'));
    await appliedUpTo(2);
    const before = await redisState(['key_a', 'key_b']);
    expect(before.entries).toMatchObject({ key_a: { value: expect.any(String) }, key_b: { value: expect.any(String) } });

    // Kafka redelivers the revoke (same event id and revision); an old revision arrives late and would
    // bring key_a back as a never-expiring active key; then a later event that changes no entry.
    await bus.publish([message(revoke)]);
    await publish(0, issued('key_a', null));
    await publish(1, { type: 'ExpirationRemoved', data: { orgId: org, keyId: 'key_a', removedAt: at(0), actor } });
    await publish(3, revealed('key_b'));
    await appliedUpTo(3);

    expect(await redisState(['key_a', 'key_b'])).toEqual(before);
    expect(await cache.lookup(fingerprintOf('key_a'))).toMatchObject({ status: 'revoked', acceptUntil: expect.any(Number) });
  });

  it('sets the Redis expiry at the grace end after a revoke, and removes it after ExpirationRemoved', async () => {
    const expiresAt = at(365 * DAY);
    await publish(0, issued('key_a', expiresAt));
    await appliedUpTo(0);
    const entryA = `${prefix}key:${fingerprintOf('key_a')}`;
    expect(await redis.pexpiretime(entryA)).toBe(Date.parse(expiresAt));

    const graceEndsAt = at(7 * DAY);
    await publish(1, issued('key_b', at(365 * DAY)));
    await publish(2, revoked('key_a', graceEndsAt, 'key_b'));
    await appliedUpTo(2);
    expect(await redis.pexpiretime(entryA)).toBe(Date.parse(graceEndsAt));

    await publish(3, { type: 'ExpirationRemoved', data: { orgId: org, keyId: 'key_b', removedAt: at(0), actor } });
    await appliedUpTo(3);
    const entryB = `${prefix}key:${fingerprintOf('key_b')}`;
    expect(await redis.pexpiretime(entryB)).toBe(-1);
    expect(await cache.lookup(fingerprintOf('key_b'))).toMatchObject({ status: 'active', acceptUntil: null });
  });

  it('publishes an invalidation, with the request id, when a key stops being accepted', async () => {
    await publish(0, issued('key_a', at(365 * DAY)));
    await publish(1, issued('key_b', at(365 * DAY)));
    await appliedUpTo(1);
    expect(invalidationsOf('key_a')).toEqual([]);

    // A grace-0 revocation (the breach case): the revoke and the expiry it records at once.
    const revoke = await publish(2, revoked('key_a', at(0), 'key_b'));
    await publish(3, { type: 'KeyExpired', data: { orgId: org, keyId: 'key_a', expiredAt: at(0), cause: 'grace' } });
    await appliedUpTo(3);
    expect(await redis.exists(`${prefix}key:${fingerprintOf('key_a')}`)).toBe(0);
    expect(await cache.findByKeyId(org, 'key_a')).toBeNull();

    const invalidations = await waitFor(() => (invalidationsOf('key_a').length === 2 ? invalidationsOf('key_a') : null), {
      timeoutMs: 30_000,
      description: 'the invalidations of key_a',
    });
    expect(invalidations.map((m) => JSON.parse(m.value))).toEqual([
      { orgId: org, keyId: 'key_a', fingerprint: fingerprintOf('key_a'), cause: 'KeyRevoked' },
      { orgId: org, keyId: 'key_a', fingerprint: null, cause: 'KeyExpired' },
    ]);
    expect(invalidations[0].headers).toMatchObject({
      [CE_HEADERS.type]: KEY_INVALIDATED_TYPE,
      [CE_HEADERS.id]: `${revoke.id}:invalidation`,
      [CE_HEADERS.causationId]: revoke.id,
      [CE_HEADERS.correlationId]: revoke.requestId,
    });
    expect(invalidationsOf('key_b')).toEqual([]);
  });

  it('dead-letters a poison message to the .dlq topic and keeps applying the messages after it', async () => {
    // Same organisation, so same partition: a poison message that blocked would hold back the key.
    const withoutRevision = message({ id: randomUUID(), revision: 0, event: issued('key_poison', null), requestId: 'req-poison-1' });
    delete withoutRevision.headers[CE_HEADERS.streamRevision];
    const invalidData = message({ id: randomUUID(), revision: 0, event: issued('key_poison', null), requestId: 'req-poison-2' });
    const broken = { ...JSON.parse(invalidData.value), fingerprint: 'not a fingerprint' };
    await bus.publish([withoutRevision, { ...invalidData, value: JSON.stringify(broken) }]);
    await publish(0, issued('key_a', at(365 * DAY)));

    await appliedUpTo(0);
    expect(await cache.lookup(fingerprintOf('key_a'))).toMatchObject({ orgId: org, keyId: 'key_a', status: 'active' });
    expect(await cache.findByKeyId(org, 'key_poison')).toBeNull();

    const dead = await waitFor(
      () => {
        const mine = received.filter((m) => m.topic === deadLetterTopic(Topics.keyLifecycle) && m.key === org);
        return mine.length === 2 ? mine : null;
      },
      { timeoutMs: 30_000, description: 'two dead letters' },
    );
    expect(dead.map((m) => m.headers[CE_HEADERS.correlationId])).toEqual(['req-poison-1', 'req-poison-2']);
    for (const m of dead) {
      expect(m.headers[DLQ_HEADERS.sourceTopic]).toMatch(new RegExp(`${Topics.keyLifecycle.replace(/\./g, '\\.')}$`));
      expect(m.headers[DLQ_HEADERS.error]).toEqual(expect.any(String));
    }
    expect(dead[1].value).toBe(JSON.stringify(broken));
  });
});
