import { LRUCache } from 'lru-cache';

/**
 * Keys this edge saw end on the lifecycle topic itself (a revocation with no grace, a deletion),
 * refused before the key cache is consulted: with the projection down, Redis still holds them as
 * active. Bounded: past `max`, the oldest ends fall back to the cache, which by then has caught up
 * unless the projection has been down for that many ends.
 */
export class EndedKeys {
  private readonly ended: LRUCache<string, true>;

  constructor(max: number) {
    this.ended = new LRUCache<string, true>({ max });
  }

  add(orgId: string, keyId: string): void {
    this.ended.set(refOf(orgId, keyId), true);
  }

  has(orgId: string, keyId: string): boolean {
    return this.ended.has(refOf(orgId, keyId));
  }

  get size(): number {
    return this.ended.size;
  }
}

const refOf = (orgId: string, keyId: string): string => `${orgId}\u0000${keyId}`;
