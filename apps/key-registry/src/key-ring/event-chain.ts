import { createHash } from 'node:crypto';

/** The chain value before a ring's first event. */
export const CHAIN_GENESIS = '';

/** JSON with object keys sorted at every level, so the hash does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

/**
 * Tamper evidence: each key-ring event's `metadata.chain` hashes its type and data over the
 * previous event's chain value, so changing, removing or reordering any stored event breaks every
 * chain value after it. (It proves integrity against edits of the store, not against someone who
 * can also recompute the whole chain.)
 */
export function chainValue(previous: string, type: string, data: unknown): string {
  return createHash('sha256').update(previous).update(canonicalJson({ type, data })).digest('hex');
}

/** The chain value a recorded event carries, or null when it has none. */
export const chainOf = (metadata: Readonly<Record<string, unknown>>): string | null =>
  typeof metadata.chain === 'string' ? metadata.chain : null;
