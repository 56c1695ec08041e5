import { ActiveKeyCache, ApplyOutcome, CacheChange, CachedKey, CheckedLookup, OrgSnapshot, UnindexedEntry } from './active-key-cache.port';

/** The embedded mode's cache and the unit tests': same semantics as Redis, minus persistence. */
export class InMemoryActiveKeyCache implements ActiveKeyCache {
  private readonly byFingerprint = new Map<string, CachedKey>();
  private readonly orgKeys = new Map<string, Map<string, string>>();
  private readonly revisions = new Map<string, number>();
  private complete = false;

  async lookup(fingerprint: string): Promise<CachedKey | null> {
    return this.byFingerprint.get(fingerprint) ?? null;
  }

  async lookupChecked(fingerprint: string): Promise<CheckedLookup> {
    return { key: this.byFingerprint.get(fingerprint) ?? null, complete: this.complete };
  }

  async markComplete(): Promise<void> {
    this.complete = true;
  }

  async isComplete(): Promise<boolean> {
    return this.complete;
  }

  async findByKeyId(orgId: string, keyId: string): Promise<CachedKey | null> {
    const fingerprint = this.orgKeys.get(orgId)?.get(keyId);
    return fingerprint ? (this.byFingerprint.get(fingerprint) ?? null) : null;
  }

  async applyRingChange(orgId: string, revision: number, change: CacheChange): Promise<ApplyOutcome> {
    if (revision <= (this.revisions.get(orgId) ?? -1)) return 'stale';
    this.revisions.set(orgId, revision);
    const keys = this.orgKeys.get(orgId) ?? new Map<string, string>();
    this.orgKeys.set(orgId, keys);
    if (change.kind === 'put') {
      keys.set(change.key.keyId, change.key.fingerprint);
      this.byFingerprint.set(change.key.fingerprint, change.key);
    } else if (change.kind === 'remove') {
      const fingerprint = keys.get(change.keyId);
      if (fingerprint) this.byFingerprint.delete(fingerprint);
      keys.delete(change.keyId);
    }
    return 'applied';
  }

  async ringRevision(orgId: string): Promise<number | null> {
    return this.revisions.get(orgId) ?? null;
  }

  async listOrg(orgId: string): Promise<CachedKey[]> {
    const keys = this.orgKeys.get(orgId);
    if (!keys) return [];
    return [...keys.values()].map((fp) => this.byFingerprint.get(fp)).filter((k): k is CachedKey => k !== undefined);
  }

  async listOrgIds(): Promise<string[]> {
    return [...this.revisions.keys()];
  }

  async restoreOrgs(snapshots: readonly OrgSnapshot[]): Promise<number> {
    let replaced = 0;
    for (const snapshot of snapshots) if (await this.reconcileOrg(snapshot)) replaced++;
    return replaced;
  }

  async reconcileOrg(snapshot: OrgSnapshot, overwriteRevision?: number): Promise<boolean> {
    const current = this.revisions.get(snapshot.orgId) ?? -1;
    if (snapshot.revision < current && overwriteRevision !== current) return false;
    await this.dropOrg(snapshot.orgId);
    if (snapshot.revision < 0) return true;
    this.revisions.set(snapshot.orgId, snapshot.revision);
    const keys = new Map<string, string>();
    for (const key of snapshot.keys) {
      keys.set(key.keyId, key.fingerprint);
      this.byFingerprint.set(key.fingerprint, key);
    }
    this.orgKeys.set(snapshot.orgId, keys);
    return true;
  }

  async findUnindexedEntries(): Promise<UnindexedEntry[]> {
    return [...this.byFingerprint].filter(([fingerprint, key]) => !this.isIndexed(fingerprint, key)).map(([fingerprint, key]) => ({ fingerprint, key }));
  }

  async removeUnindexedEntry(fingerprint: string): Promise<boolean> {
    const key = this.byFingerprint.get(fingerprint);
    if (!key || this.isIndexed(fingerprint, key)) return false;
    return this.byFingerprint.delete(fingerprint);
  }

  private isIndexed(fingerprint: string, key: CachedKey): boolean {
    return this.orgKeys.get(key.orgId)?.get(key.keyId) === fingerprint;
  }

  async dropOrg(orgId: string): Promise<void> {
    for (const fingerprint of this.orgKeys.get(orgId)?.values() ?? []) this.byFingerprint.delete(fingerprint);
    this.orgKeys.delete(orgId);
    this.revisions.delete(orgId);
  }

  async clear(): Promise<void> {
    this.complete = false;
    this.byFingerprint.clear();
    this.orgKeys.clear();
    this.revisions.clear();
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
