import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, register, Registry } from 'prom-client';

/**
 * Prometheus metrics: one registry per process (prom-client's default), so the all-in-one
 * process exposes the same figures on each of its HTTP services' /metrics, with a `service`
 * label telling them apart. Metrics are created on first use and shared after that: two
 * modules (or two tests in one process) asking for one name get the same metric.
 */
export const metricsRegistry: Registry = register;

let defaultsCollected = false;

/** The process's /metrics text (Prometheus exposition format). */
export async function metricsText(): Promise<{ contentType: string; body: string }> {
  if (!defaultsCollected) {
    defaultsCollected = true;
    collectDefaultMetrics({ register: metricsRegistry, prefix: 'keywarden_' });
  }
  return { contentType: metricsRegistry.contentType, body: await metricsRegistry.metrics() };
}

type MetricOptions<L extends string> = Readonly<{ name: string; help: string; labelNames: readonly L[] }>;

export function counter<L extends string>(options: MetricOptions<L>): Counter<L> {
  return (metricsRegistry.getSingleMetric(options.name) as Counter<L> | undefined) ?? new Counter<L>({ ...options, labelNames: [...options.labelNames] });
}

export function histogram<L extends string>(options: MetricOptions<L> & { buckets?: number[] }): Histogram<L> {
  return (
    (metricsRegistry.getSingleMetric(options.name) as Histogram<L> | undefined) ??
    new Histogram<L>({ ...options, labelNames: [...options.labelNames], buckets: options.buckets ?? LATENCY_BUCKETS })
  );
}

/** A gauge read when scraped: each registered source adds its labelled values. */
export type GaugeSource<L extends string> = () => Promise<ReadonlyArray<readonly [Partial<Record<L, string>>, number]>>;

const gaugeSources = new Map<string, Set<GaugeSource<string>>>();

/**
 * Registers a source for a scrape-time gauge (e.g. relay lag): the returned function removes it,
 * so a stopped component stops reporting. A failing source reports nothing for that scrape.
 */
export function observeGauge<L extends string>(options: MetricOptions<L>, source: GaugeSource<L>): () => void {
  let sources = gaugeSources.get(options.name);
  if (!sources) {
    const set = new Set<GaugeSource<string>>();
    sources = set;
    gaugeSources.set(options.name, set);
    if (!metricsRegistry.getSingleMetric(options.name)) {
      new Gauge<L>({
        ...options,
        labelNames: [...options.labelNames],
        async collect() {
          this.reset();
          for (const read of set) {
            const values = await read().catch(() => []);
            for (const [labels, value] of values) this.set(labels as Partial<Record<L, string>>, value);
          }
        },
      });
    }
  }
  sources.add(source as GaugeSource<string>);
  return () => sources.delete(source as GaugeSource<string>);
}

/** Seconds: admin calls take milliseconds to a few seconds. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const httpRequests = (): Counter<'service' | 'method' | 'route' | 'status'> =>
  counter({ name: 'keywarden_http_requests_total', help: 'HTTP requests answered, by route template and status', labelNames: ['service', 'method', 'route', 'status'] });
const httpDuration = (): Histogram<'service' | 'method' | 'route' | 'status'> =>
  histogram({ name: 'keywarden_http_request_duration_seconds', help: 'HTTP request latency, by route template', labelNames: ['service', 'method', 'route', 'status'] });

/**
 * Express middleware counting requests and timing them by route template (`/v1/orgs/:orgId/keys`),
 * never the raw URL (unbounded label values). Requests no route matched count as `unmatched`.
 */
export function httpMetricsMiddleware(service: string) {
  const requests = httpRequests();
  const duration = httpDuration();
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const routePath = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof routePath === 'string' ? `${req.baseUrl ?? ''}${routePath}` : 'unmatched';
      const labels = { service, method: req.method, route, status: String(res.statusCode) };
      requests.inc(labels);
      duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}
