import { timingSafeEqual } from 'node:crypto';
import {
  Admission,
  REVEAL_REQUEST_RETENTION_MS,
  RevealAttemptInput,
  RevealAttemptOutcome,
  RevealRequestStore,
  StoredRevealRequest,
} from './reveal-request.store.port';

type Entry = { request: StoredRevealRequest; attempts: number; state: 'pending' | 'used' | 'locked' };

const equalHashes = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** The embedded mode's store: single process, so plain maps are atomic enough (no await inside a step). */
export class InMemoryRevealRequestStore implements RevealRequestStore {
  private readonly requests = new Map<string, Entry>();
  private readonly windows = new Map<string, number[]>();

  async admit(who: string, nowMs: number, limit: number, windowMs: number): Promise<Admission> {
    const recent = (this.windows.get(who) ?? []).filter((t) => t > nowMs - windowMs);
    if (recent.length >= limit) {
      this.windows.set(who, recent);
      return { admitted: false, retryAfterMs: recent[0] + windowMs - nowMs };
    }
    this.windows.set(who, [...recent, nowMs]);
    return { admitted: true };
  }

  async save(request: StoredRevealRequest, nowMs: number): Promise<void> {
    for (const [id, entry] of this.requests) {
      if (entry.request.expiresAtMs + REVEAL_REQUEST_RETENTION_MS < nowMs) this.requests.delete(id);
    }
    this.requests.set(request.requestId, { request, attempts: 0, state: 'pending' });
  }

  async discard(requestId: string): Promise<void> {
    this.requests.delete(requestId);
  }

  async attempt(input: RevealAttemptInput): Promise<RevealAttemptOutcome> {
    const entry = this.requests.get(input.requestId);
    const request = entry?.request;
    if (!entry || !request || request.orgId !== input.orgId || request.keyId !== input.keyId || request.sub !== input.sub) {
      return { outcome: 'not-found' };
    }
    if (entry.state === 'used') return { outcome: 'used' };
    if (entry.state === 'locked') return { outcome: 'locked' };
    if (input.nowMs >= request.expiresAtMs) return { outcome: 'expired' };
    if (equalHashes(request.codeHash, input.codeHash)) {
      entry.state = 'used';
      return { outcome: 'accepted' };
    }
    entry.attempts += 1;
    if (entry.attempts >= input.maxAttempts) {
      entry.state = 'locked';
      return { outcome: 'locked' };
    }
    return { outcome: 'wrong', attemptsLeft: input.maxAttempts - entry.attempts };
  }
}
