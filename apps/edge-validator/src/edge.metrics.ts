import { Counter } from 'prom-client';
import { metricsRegistry, observeGauge } from '@keywarden/observability';

/**
 * The edge's Prometheus metrics. The request path only adds 1 to a plain number; the counters
 * read those numbers when /_keywarden/metrics is scraped (a prom-client increment costs about as
 * much as the rest of a cached Secret's check).
 */
const decisionCounts = new Map<string, { outcome: string; reason: string; count: number }>();

export function countDecision(outcome: string, reason: string): void {
  const id = `${outcome}/${reason}`;
  const entry = decisionCounts.get(id);
  if (entry !== undefined) entry.count++;
  else decisionCounts.set(id, { outcome, reason, count: 1 });
}

let hits = 0;
let misses = 0;

export function countKeyLookup(hit: boolean): void {
  if (hit) hits++;
  else misses++;
}

/** A counter whose values are the plain numbers above, read at scrape time. */
function scrapedCounter(name: string, help: string, labelNames: string[], read: () => Array<[Record<string, string>, number]>): void {
  if (metricsRegistry.getSingleMetric(name)) return;
  new Counter({
    name,
    help,
    labelNames,
    registers: [metricsRegistry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) if (value > 0) this.inc(labels, value);
    },
  });
}

scrapedCounter('keywarden_edge_decisions_total', 'Edge decisions by outcome (accepted, refused, unavailable, bad-request-id, error) and reason', ['outcome', 'reason'], () =>
  [...decisionCounts.values()].map(({ outcome, reason, count }) => [{ outcome, reason }, count]),
);

scrapedCounter('keywarden_edge_key_cache_lookups_total', "Key entries answered from the edge's in-process cache (hit) or read from Redis (miss)", ['result'], () => [
  [{ result: 'hit' }, hits],
  [{ result: 'miss' }, misses],
]);

observeGauge({ name: 'keywarden_edge_key_cache_hit_ratio', help: "Share of key entries answered from the edge's in-process cache since start", labelNames: [] }, async () =>
  hits + misses === 0 ? [] : [[{}, hits / (hits + misses)]],
);
