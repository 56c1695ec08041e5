import Redis from 'ioredis';
import { ActiveKeyCache, ApplyOutcome, CacheChange, CachedKey, CheckedLookup, OrgSnapshot, UnindexedEntry } from './active-key-cache.port';

/*
 * Layout (prefix defaults to `kw:`):
 *   <p>key:<fingerprint>   JSON CachedKey, with a Redis expiry (PXAT) at the key's acceptUntil
 *   <p>org:<orgId>:keys    hash keyId -> fingerprint: the organisation's master list
 *   <p>org:<orgId>:rev     the last ring revision applied
 *   <p>orgs                set of organisation ids
 *   <p>complete            the projection's marker: the cache holds every active key. A FLUSHALL or
 *                          a restart without persistence removes it with everything else, so the
 *                          edge can tell an emptied cache from an unknown key.
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

// Replaces organisations' entries, each unless a newer revision was applied meanwhile (or the
// cache holds exactly its `wrong` revision, one known to be wrong). An organisation's old and new
// entries change in the same script, so the edge never sees it without its valid keys. Revision -1
// removes the organisation. ARGV[1] is the prefix, ARGV[2] a JSON array of organisations:
// [orgId, revision, wrong ('' for none), [keyId, fingerprint, json, pxat ('' for none), ...]],
// all as strings (cjson would read numbers as doubles). Several organisations per call, decoded
// by cjson from one argument: a rebuild's cost was the per-call and per-argument work on both
// sides (Node's CPU per organisation fell 4×). A call of 64 organisations of two keys runs ~1.5 ms,
// about what Redis spent on one 16 KiB read of the pipelined per-organisation calls before.
// Returns how many organisations were replaced.
const RESTORE_ORGS = `
local prefix = ARGV[1]
local entry_prefix = prefix .. 'key:'
-- Multi-argument commands in slices (Lua's unpack has a stack limit); table replies joined.
local function call_sliced(command, key, args)
  local replies = {}
  for first = 1, #args, 200 do
    local reply
    if key then
      reply = redis.call(command, key, unpack(args, first, math.min(first + 199, #args)))
    else
      reply = redis.call(command, unpack(args, first, math.min(first + 199, #args)))
    end
    if type(reply) == 'table' then for _, value in ipairs(reply) do replies[#replies + 1] = value end end
  end
  return replies
end
local orgs = cjson.decode(ARGV[2])
if #orgs == 0 then return 0 end
local rev_keys, seen = {}, {}
for i, org in ipairs(orgs) do
  if seen[org[1]] then return redis.error_reply('restore: organisation ' .. org[1] .. ' given twice in one call') end
  seen[org[1]] = true
  rev_keys[i] = prefix .. 'org:' .. org[1] .. ':rev'
end
-- Revisions and the organisation set are read and written once per call, not per organisation:
-- Redis's cost here is mostly per command.
local stored = call_sliced('MGET', nil, rev_keys)
local revisions, members, gone_revs, gone_members = {}, {}, {}, {}
local replaced = 0
for i, org in ipairs(orgs) do
  local org_id, wrong, quads = org[1], org[3], org[4]
  local index_key = prefix .. 'org:' .. org_id .. ':keys'
  local current = tonumber(stored[i] or '-1')
  local revision = tonumber(org[2])
  if revision >= current or (wrong ~= '' and tonumber(wrong) == current) then
    replaced = replaced + 1
    local old = redis.call('HVALS', index_key)
    if #old > 0 then
      local entries = {}
      for n, fingerprint in ipairs(old) do entries[n] = entry_prefix .. fingerprint end
      entries[#entries + 1] = index_key
      call_sliced('DEL', nil, entries)
    end
    if revision < 0 then
      gone_revs[#gone_revs + 1] = rev_keys[i]
      gone_members[#gone_members + 1] = org_id
    else
      revisions[#revisions + 1] = rev_keys[i]
      revisions[#revisions + 1] = org[2]
      members[#members + 1] = org_id
      local fields = {}
      for n = 1, #quads, 4 do
        fields[#fields + 1] = quads[n]
        fields[#fields + 1] = quads[n + 1]
        if quads[n + 3] == '' then
          redis.call('SET', entry_prefix .. quads[n + 1], quads[n + 2])
        else
          redis.call('SET', entry_prefix .. quads[n + 1], quads[n + 2], 'PXAT', quads[n + 3])
        end
      end
      if #fields > 0 then call_sliced('HSET', index_key, fields) end
    end
  end
end
if #revisions > 0 then call_sliced('MSET', nil, revisions) end
if #members > 0 then call_sliced('SADD', prefix .. 'orgs', members) end
if #gone_revs > 0 then call_sliced('DEL', nil, gone_revs) end
if #gone_members > 0 then call_sliced('SREM', prefix .. 'orgs', gone_members) end
return replaced
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
  kwRestoreOrgs(prefix: string, orgs: string): Promise<number>;
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

/** One organisation as RESTORE_ORGS reads it. */
const restoreEntry = ({ orgId, revision, keys }: OrgSnapshot, wrongRevision?: number): [string, string, string, string[]] => [
  orgId,
  String(revision),
  wrongRevision === undefined ? '' : String(wrongRevision),
  keys.flatMap((k) => [k.keyId, k.fingerprint, encode(k), k.acceptUntil === null ? '' : String(k.acceptUntil)]),
];

/**
 * Organisations per restore call: at most 64, fewer once they hold 512 keys together, and each
 * organisation once (a later snapshot of the same one goes to a later call, so it wins).
 */
function* restoreBatches(snapshots: readonly OrgSnapshot[]): Generator<OrgSnapshot[]> {
  let batch: OrgSnapshot[] = [];
  let orgIds = new Set<string>();
  let keys = 0;
  for (const snapshot of snapshots) {
    if (batch.length > 0 && (batch.length === 64 || keys + snapshot.keys.length > 512 || orgIds.has(snapshot.orgId))) {
      yield batch;
      batch = [];
      orgIds = new Set();
      keys = 0;
    }
    batch.push(snapshot);
    orgIds.add(snapshot.orgId);
    keys += snapshot.keys.length;
  }
  if (batch.length > 0) yield batch;
}

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
    redis.defineCommand('kwRestoreOrgs', { numberOfKeys: 0, lua: RESTORE_ORGS });
    redis.defineCommand('kwRemoveUnindexed', { numberOfKeys: 1, lua: REMOVE_UNINDEXED });
    this.scripted = redis as ScriptedRedis;
  }

  private keyOf = (fingerprint: string): string => `${this.prefix}key:${fingerprint}`;
  private orgKeysOf = (orgId: string): string => `${this.prefix}org:${orgId}:keys`;
  private revOf = (orgId: string): string => `${this.prefix}org:${orgId}:rev`;
  private orgsKey = (): string => `${this.prefix}orgs`;
  private completeKey = (): string => `${this.prefix}complete`;
  async lookup(fingerprint: string): Promise<CachedKey | null> {
    const raw = await this.redis.get(this.keyOf(fingerprint));
    return raw === null ? null : decode(fingerprint, raw);
  }

  async lookupChecked(fingerprint: string): Promise<CheckedLookup> {
    const [raw, marker] = await this.redis.mget(this.keyOf(fingerprint), this.completeKey());
    return { key: raw === null ? null : decode(fingerprint, raw), complete: marker !== null };
  }

  async markComplete(): Promise<void> {
    await this.redis.set(this.completeKey(), '1');
  }

  async isComplete(): Promise<boolean> {
    return (await this.redis.exists(this.completeKey())) === 1;
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
    const pipeline = this.redis.pipeline() as unknown as { kwRestoreOrgs(prefix: string, orgs: string): void; exec(): Promise<Array<[Error | null, unknown]> | null> };
    for (const batch of restoreBatches(snapshots)) {
      pipeline.kwRestoreOrgs(this.prefix, JSON.stringify(batch.map((snapshot) => restoreEntry(snapshot))));
    }
    let replaced = 0;
    for (const [error, value] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      replaced += value as number;
    }
    return replaced;
  }

  async reconcileOrg(snapshot: OrgSnapshot, overwriteRevision?: number): Promise<boolean> {
    return (await this.scripted.kwRestoreOrgs(this.prefix, JSON.stringify([restoreEntry(snapshot, overwriteRevision)]))) === 1;
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
