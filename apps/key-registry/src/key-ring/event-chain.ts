import { createHash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';

/** The chain value before a ring's first event. */
export const CHAIN_GENESIS = '';

// Keys sorted at every level (by UTF-16 code units, as Array#sort), undefined fields left out and
// undefined array items as null, as JSON.stringify does; strict: a value JSON cannot represent
// (a function, NaN, a BigInt, a cycle) throws instead of being hashed as something else.
const stableJson = configure({ deterministic: true, strict: true, bigint: false, circularValue: Error });

/** JSON with object keys sorted at every level, so the hash does not depend on key order. */
export function canonicalJson(value: unknown): string {
  return stableJson(value) ?? 'null';
}

/** The chain version new events are recorded with (in `metadata.chainVersion`, itself covered). */
export const CHAIN_VERSION = 2;

/**
 * Tamper evidence: each key-ring event's `metadata.chain` hashes the event over the previous
 * event's chain value, so changing, removing or reordering any stored event breaks every chain
 * value after it. Version 2 covers the type, the data and the metadata (request id, causation,
 * command, the version itself: everything but the chain value); events recorded before it (no
 * `chainVersion`) were chained over type and data only, and are verified that way. Downgrading an
 * event's version changes what is hashed, so it breaks the chain too. (It proves integrity
 * against edits of the store, not against someone who can also recompute the whole chain.)
 */
export function chainValue(previous: string, type: string, data: unknown, metadata?: Readonly<Record<string, unknown>>): string {
  const covered = metadata === undefined ? { type, data } : { type, data, metadata };
  // One update of the joined text: the same bytes as two updates, one native call fewer per event.
  return createHash('sha256').update(previous + canonicalJson(covered)).digest('hex');
}

/** The chain value a stored event should carry after `previous`, by the version it was recorded with. */
export function expectedChainValue(previous: string, recorded: Readonly<{ type: string; data: unknown; metadata: Readonly<Record<string, unknown>> }>): string {
  const { chain: _chain, ...covered } = recorded.metadata;
  return covered.chainVersion === undefined
    ? chainValue(previous, recorded.type, recorded.data)
    : chainValue(previous, recorded.type, recorded.data, covered);
}

/** The chain value a recorded event carries, or null when it has none. */
export const chainOf = (metadata: Readonly<Record<string, unknown>>): string | null =>
  typeof metadata.chain === 'string' ? metadata.chain : null;
