import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { call } from '../helpers/http-call.js';
import { gateStats, startFakeApp, type FakeApp } from '../helpers/fake-app.js';
import { parsePrometheusText, type MetricFamily, type Sample } from '../helpers/prometheus-text.js';

/** The samples of `family` whose labels include `labels`. */
function samples(families: Map<string, MetricFamily>, family: string, labels: Record<string, string> = {}): Sample[] {
  const found = families.get(family);
  if (!found) throw new Error(`no family ${family} in the scrape`);
  return found.samples.filter((sample) => Object.entries(labels).every(([name, value]) => sample.labels[name] === value));
}

const valueOf = (families: Map<string, MetricFamily>, family: string, labels: Record<string, string> = {}, name = family) => samples(families, family, labels).find((sample) => sample.name === name)?.value;

describe('GET /metrics, scraped from createApp over fakes on a real port', () => {
  let fake: FakeApp;
  const get = (path: string, init: RequestInit = {}) => call(`${fake.url}${path}`, init);
  const scrape = async () => {
    const res = await fetch(`${fake.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return parsePrometheusText(await res.text());
  };

  beforeAll(async () => {
    fake = await startFakeApp({ withMetrics: true });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it('is valid text format that agrees with prom-client\'s own view of the registry', async () => {
    await get('/api/search?q=pto');
    // The first scrape is itself counted once answered: after it, the next scrape and the JSON below have the same series.
    await scrape();
    const families = await scrape();
    const json = await fake.metrics!.registry.getMetricsAsJSON();
    expect([...families.keys()].sort()).toEqual(json.map((metric) => metric.name).sort());
    for (const metric of json) {
      const family = families.get(metric.name)!;
      expect({ name: metric.name, type: family.type, samples: family.samples.length }).toEqual({ name: metric.name, type: String(metric.type), samples: metric.values.length });
    }
    for (const name of ['process_resident_memory_bytes', 'process_cpu_seconds_total', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) expect(families.has(name)).toBe(true);
  });

  it('counts requests by route pattern, method and status, with a latency histogram per route', async () => {
    const before = await scrape();
    const searches = { route: '/api/search', method: 'GET', status: '200' };
    const start = valueOf(before, 'http_requests_total', searches) ?? 0;
    await get('/api/search?q=pto');
    await get('/api/search?q=leave');
    await get('/api/nothing/42');
    await get('/api/ask');
    const after = await scrape();
    expect(valueOf(after, 'http_requests_total', searches)).toBe(start + 2);
    expect(valueOf(after, 'http_requests_total', { route: '(unmatched)', method: 'GET', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, 'http_requests_total', { route: '/api/ask', method: 'GET', status: '405' })).toBeGreaterThanOrEqual(1);
    const buckets = samples(after, 'http_request_duration_seconds', searches).filter((sample) => sample.name === 'http_request_duration_seconds_bucket');
    expect(buckets.map((bucket) => bucket.labels.le)).toEqual(['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '20', '+Inf']);
    expect(buckets.at(-1)!.value).toBe(start + 2);
    // Raw paths never become labels: their values are unbounded.
    const routes = new Set(after.get('http_requests_total')!.samples.map((sample) => sample.labels.route));
    expect([...routes].every((route) => route === '(unmatched)' || route?.startsWith('/'))).toBe(true);
    expect(routes.has('/api/nothing/42')).toBe(false);
  });

  it('reads the queue, the recycles by reason and the memory mode at each scrape', async () => {
    fake.world.stats = gateStats({ queued: 3, recyclesByReason: { tasks: 2, rss: 1, memory: 0, crash: 4, timeout: 0, requested: 0, model: 0, generation: 0 } });
    fake.world.memory.mode = 'cautious';
    const families = await scrape();
    expect(valueOf(families, 'rag512_worker_queue_length')).toBe(3);
    expect(valueOf(families, 'rag512_worker_recycles_total', { reason: 'crash' })).toBe(4);
    expect(valueOf(families, 'rag512_worker_recycles_total', { reason: 'tasks' })).toBe(2);
    expect(samples(families, 'rag512_memory_mode').map(({ labels, value }) => [labels.mode, value])).toEqual([['normal', 0], ['cautious', 1], ['degraded', 0]]);
  });

  it('is served in degraded memory mode and while shutting down', async () => {
    fake.world.memory.mode = 'degraded';
    expect((await get('/api/search?q=pto')).status).toBe(503);
    expect(valueOf(await scrape(), 'rag512_memory_mode', { mode: 'degraded' })).toBe(1);
    fake.world.shuttingDown = true;
    await scrape();
  });

  it('is absent from an app built without metrics', async () => {
    const plain = await startFakeApp();
    try {
      expect((await call(`${plain.url}/metrics`)).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
