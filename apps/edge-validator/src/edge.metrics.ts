import { counter, observeGauge } from '@keywarden/observability';
import type { Counter } from 'prom-client';

/**
 * The edge's Prometheus metrics. Label children are created once per value and reused, so the
 * request path only increments a number.
 */
const decisions = counter({ name: 'keywarden_edge_decisions_total', help: 'Edge decisions by outcome (accepted, refused, unavailable, bad-request-id, error) and reason', labelNames: ['outcome', 'reason'] });
const decisionChildren = new Map<string, Counter.Internal>();

export function countDecision(outcome: string, reason: string): void {
  const id = `${outcome}/${reason}`;
  let child = decisionChildren.get(id);
  if (child === undefined) decisionChildren.set(id, (child = decisions.labels({ outcome, reason })));
  child.inc();
}

const lookups = counter({ name: 'keywarden_edge_key_cache_lookups_total', help: "Key entries answered from the edge's in-process cache (hit) or read from Redis (miss)", labelNames: ['result'] });
const hitChild = lookups.labels({ result: 'hit' });
const missChild = lookups.labels({ result: 'miss' });
let hits = 0;
let misses = 0;

export function countKeyLookup(hit: boolean): void {
  if (hit) {
    hits++;
    hitChild.inc();
  } else {
    misses++;
    missChild.inc();
  }
}

observeGauge({ name: 'keywarden_edge_key_cache_hit_ratio', help: "Share of key entries answered from the edge's in-process cache since start", labelNames: [] }, async () =>
  hits + misses === 0 ? [] : [[{}, hits / (hits + misses)]],
);
