import Redis from 'ioredis';
import { ActiveKeyCache, ApplyOutcome, CacheChange, CachedKey, OrgSnapshot, UnindexedEntry } from './active-key-cache.port';

/*
 * Layout (prefix defaults to `kw:`):
 *   <p>key:<fingerprint>   JSON CachedKey, with a Redis expiry (PXAT) at the key's acceptUntil
 *   <p>org:<orgId>:keys    hash keyId -> fingerprint: the organisation's master list
 *   <p>org:<orgId>:rev     the last ring revision applied
 *   <p>orgs                set of organisation ids
 * One Lua script applies a change and its revision atomically, so a duplicate or older event is a
 * no-op even with two projection instances. Keys are built inside the script, so this layout
 * targets a single Redis (or a primary with replicas), not Redis Cluster.
 */
const APPLY_RING_CHANGE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) <= current then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[7])
local op = ARGV[2]
if op == 'put' and ARGV[6] ~= '' then
  -- A key whose end is already past (a grace-0 revocation) is removed, not written to expire.
  local time = redis.call('TIME')
  if tonumber(ARGV[6]) <= tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) then op = 'remove' end
end
if op == 'put' then
  local previous = redis.call('HGET', KEYS[2], ARGV[3])
  if previous and previous ~= ARGV[4] then redis.call('DEL', ARGV[8] .. previous) end
  redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
  if ARGV[6] == '' then
    redis.call('SET', ARGV[8] .. ARGV[4], ARGV[5])
  else
    redis.call('SET', ARGV[8] .. ARGV[4], ARGV[5], 'PXAT', ARGV[6])
  end
elseif op == 'remove' then
  local fingerprint = redis.call('HGET', KEYS[2], ARGV[3])
  if fingerprint then
    redis.call('DEL', ARGV[8] .. fingerprint)
    redis.call('HDEL', KEYS[2], ARGV[3])
  end
end
return 1
`;

// Replaces an organisation's entries unless a newer revision was applied meanwhile (or the cache
// holds exactly ARGV[4], a revision known to be wrong). Old and new entries change in the same
// script, so the edge never sees the organisation without its valid keys. Revision -1 removes the
// organisation. ARGV from 5 on are (keyId, fingerprint, json, pxat) quadruples.
const RESTORE_ORG = `
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
local revision = tonumber(ARGV[1])
if revision < current and (ARGV[4] == '' or tonumber(ARGV[4]) ~= current) then return 0 end
-- Multi-argument DEL and HSET, in slices (Lua's unpack has a stack limit): a rebuild runs this
-- once per organisation, and each call is a good part of its cost.
local function call_sliced(command, key, args)
  for first = 1, #args, 200 do
    if key then
      redis.call(command, key, unpack(args, first, math.min(first + 199, #args)))
    else
      redis.call(command, unpack(args, first, math.min(first + 199, #args)))
    end
  end
end
local old = redis.call('HVALS', KEYS[2])
if #old > 0 then
  local entries = {}
  for i, fingerprint in ipairs(old) do entries[i] = ARGV[3] .. fingerprint end
  entries[#entries + 1] = KEYS[2]
  call_sliced('DEL', nil, entries)
end
if revision < 0 then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[3], ARGV[2])
  return 1
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[2])
local fields = {}
for i = 5, #ARGV, 4 do
  fields[#fields + 1] = ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
  if ARGV[i + 3] == '' then
    redis.call('SET', ARGV[3] .. ARGV[i + 1], ARGV[i + 2])
  else
    redis.call('SET', ARGV[3] .. ARGV[i + 1], ARGV[i + 2], 'PXAT', ARGV[i + 3])
  end
end
if #fields > 0 then call_sliced('HSET', KEYS[2], fields) end
return 1
`;

// Deletes an entry (KEYS[1]) unless its organisation's index lists it, checked in the same script:
// the projection writes an entry and its index field together, so a key it just issued is kept.
const REMOVE_UNINDEXED = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, entry = pcall(cjson.decode, raw)
if ok and type(entry) == 'table' and type(entry[1]) == 'string' and type(entry[2]) == 'string' then
  if redis.call('HGET', ARGV[1] .. entry[1] .. ':keys', entry[2]) == ARGV[2] then return 0 end
end
redis.call('DEL', KEYS[1])
return 1
`;

type ScriptedRedis = Redis & {
  kwApplyRingChange(...args: string[]): Promise<number>;
  kwRestoreOrg(...args: string[]): Promise<number>;
  kwRemoveUnindexed(...args: string[]): Promise<number>;
};

type Encoded = [orgId: string, keyId: string, status: 'a' | 'r', acceptUntil: number | null];

// Compact positional JSON: the edge parses one of these per cache miss.
const encode = (k: CachedKey): string => JSON.stringify([k.orgId, k.keyId, k.status === 'active' ? 'a' : 'r', k.acceptUntil] satisfies Encoded);
const decode = (fingerprint: string, raw: string): CachedKey => {
  const [orgId, keyId, status, acceptUntil] = JSON.parse(raw) as Encoded;
  return { orgId, keyId, fingerprint, status: status === 'a' ? 'active' : 'revoked', acceptUntil };
};
/** For drift checks only: an entry written by something else than this adapter reads as null. */
const decodeOrNull = (fingerprint: string, raw: string): CachedKey | null => {
  try {
    const value: unknown = JSON.parse(raw);
    if (!Array.isArray(value) || value.length !== 4) return null;
    const [orgId, keyId, status, acceptUntil] = value as unknown[];
    if (typeof orgId !== 'string' || typeof keyId !== 'string' || (status !== 'a' && status !== 'r')) return null;
    if (acceptUntil !== null && typeof acceptUntil !== 'number') return null;
    return decode(fingerprint, raw);
  } catch {
    return null;
  }
};

export type RedisActiveKeyCacheOptions = Readonly<{
  /** @default 'kw:' */
  prefix?: string;
}>;

export class RedisActiveKeyCache implements ActiveKeyCache {
  private readonly prefix: string;
  private readonly scripted: ScriptedRedis;

  constructor(
    private readonly redis: Redis,
    options: RedisActiveKeyCacheOptions = {},
  ) {
    this.prefix = options.prefix ?? 'kw:';
    // defineCommand sends EVALSHA, falling back to EVAL once per connection.
    redis.defineCommand('kwApplyRingChange', { numberOfKeys: 3, lua: APPLY_RING_CHANGE });
    redis.defineCommand('kwRestoreOrg', { numberOfKeys: 3, lua: RESTORE_ORG });
    redis.defineCommand('kwRemoveUnindexed', { numberOfKeys: 1, lua: REMOVE_UNINDEXED });
    this.scripted = redis as ScriptedRedis;
  }

  private keyOf = (fingerprint: string): string => `${this.prefix}key:${fingerprint}`;
  private orgKeysOf = (orgId: string): string => `${this.prefix}org:${orgId}:keys`;
  private revOf = (orgId: string): string => `${this.prefix}org:${orgId}:rev`;
  private orgsKey = (): string => `${this.prefix}orgs`;
  private restoreArgs = ({ orgId, revision, keys }: OrgSnapshot, overwriteRevision?: number): string[] => [
    this.revOf(orgId),
    this.orgKeysOf(orgId),
    this.orgsKey(),
    String(revision),
    orgId,
    `${this.prefix}key:`,
    overwriteRevision === undefined ? '' : String(overwriteRevision),
    ...keys.flatMap((k) => [k.keyId, k.fingerprint, encode(k), k.acceptUntil === null ? '' : String(k.acceptUntil)]),
  ];

  async lookup(fingerprint: string): Promise<CachedKey | null> {
    const raw = await this.redis.get(this.keyOf(fingerprint));
    return raw === null ? null : decode(fingerprint, raw);
  }

  async findByKeyId(orgId: string, keyId: string): Promise<CachedKey | null> {
    const fingerprint = await this.redis.hget(this.orgKeysOf(orgId), keyId);
    return fingerprint ? this.lookup(fingerprint) : null;
  }

  async applyRingChange(orgId: string, revision: number, change: CacheChange): Promise<ApplyOutcome> {
    const args =
      change.kind === 'put'
        ? ['put', change.key.keyId, change.key.fingerprint, encode(change.key), change.key.acceptUntil === null ? '' : String(change.key.acceptUntil)]
        : change.kind === 'remove'
          ? ['remove', change.keyId, '', '', '']
          : ['none', '', '', '', ''];
    const applied = await this.scripted.kwApplyRingChange(
      this.revOf(orgId),
      this.orgKeysOf(orgId),
      this.orgsKey(),
      String(revision),
      ...args,
      orgId,
      `${this.prefix}key:`,
    );
    return applied === 1 ? 'applied' : 'stale';
  }

  async ringRevision(orgId: string): Promise<number | null> {
    const raw = await this.redis.get(this.revOf(orgId));
    return raw === null ? null : Number(raw);
  }

  async listOrg(orgId: string): Promise<CachedKey[]> {
    const fingerprints = await this.redis.hvals(this.orgKeysOf(orgId));
    if (fingerprints.length === 0) return [];
    const raws = await this.redis.mget(fingerprints.map(this.keyOf));
    return raws.flatMap((raw, i) => (raw === null ? [] : [decode(fingerprints[i], raw)]));
  }

  async listOrgIds(): Promise<string[]> {
    return this.redis.smembers(this.orgsKey());
  }

  async restoreOrgs(snapshots: readonly OrgSnapshot[]): Promise<number> {
    if (snapshots.length === 0) return 0;
    const pipeline = this.redis.pipeline() as unknown as { kwRestoreOrg(...args: string[]): void; exec(): Promise<Array<[Error | null, unknown]> | null> };
    for (const snapshot of snapshots) pipeline.kwRestoreOrg(...this.restoreArgs(snapshot));
    const results = (await pipeline.exec()) ?? [];
    let replaced = 0;
    for (const [error, value] of results) {
      if (error) throw error;
      if (value === 1) replaced++;
    }
    return replaced;
  }

  async reconcileOrg(snapshot: OrgSnapshot, overwriteRevision?: number): Promise<boolean> {
    return (await this.scripted.kwRestoreOrg(...this.restoreArgs(snapshot, overwriteRevision))) === 1;
  }

  async findUnindexedEntries(): Promise<UnindexedEntry[]> {
    const entryPrefix = `${this.prefix}key:`;
    // SCAN, not KEYS (the edge keeps reading meanwhile); it may return a name twice, hence the map.
    const found = new Map<string, UnindexedEntry>();
    let cursor = '0';
    do {
      const [next, names] = await this.redis.scan(cursor, 'MATCH', `${entryPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (names.length === 0) continue;
      const raws = await this.redis.mget(names);
      const entries = names.flatMap((name, i) => {
        const raw = raws[i];
        const fingerprint = name.slice(entryPrefix.length);
        return raw === null ? [] : [{ fingerprint, key: decodeOrNull(fingerprint, raw) }];
      });
      const readable = entries.flatMap((entry) => (entry.key === null ? [] : [{ fingerprint: entry.fingerprint, key: entry.key }]));
      for (const entry of entries) if (entry.key === null) found.set(entry.fingerprint, entry);
      const pipeline = this.redis.pipeline();
      for (const { key } of readable) pipeline.hget(this.orgKeysOf(key.orgId), key.keyId);
      const listed = readable.length === 0 ? [] : ((await pipeline.exec()) ?? []);
      readable.forEach((entry, i) => {
        const [error, fingerprint] = listed[i];
        if (error) throw error;
        if (fingerprint !== entry.fingerprint) found.set(entry.fingerprint, entry);
      });
    } while (cursor !== '0');
    return [...found.values()];
  }

  async removeUnindexedEntry(fingerprint: string): Promise<boolean> {
    return (await this.scripted.kwRemoveUnindexed(this.keyOf(fingerprint), `${this.prefix}org:`, fingerprint)) === 1;
  }

  async dropOrg(orgId: string): Promise<void> {
    const fingerprints = await this.redis.hvals(this.orgKeysOf(orgId));
    await this.redis
      .multi()
      .unlink(...fingerprints.map(this.keyOf), this.orgKeysOf(orgId), this.revOf(orgId))
      .srem(this.orgsKey(), orgId)
      .exec();
  }

  async clear(): Promise<void> {
    // SCAN, not KEYS: a rebuild must not block the edge's reads on a large cache.
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await this.redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
