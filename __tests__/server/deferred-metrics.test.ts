import { describe, expect, it } from '@jest/globals';
import { DeferredMetrics } from '../../server/deferred-metrics.js';
import { ServiceMetrics } from '../../server/metrics.js';
import { gateStats } from '../helpers/fake-app.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';

const gate = { snapshot: () => gateStats() };

/** A DeferredMetrics over a real ServiceMetrics, counting how often it was created. */
function deferred() {
  let created = 0;
  const metrics = new DeferredMetrics(async () => {
    created++;
    return new ServiceMetrics({ gate }, { processMetrics: false });
  });
  return { metrics, created: () => created };
}

const requestsOf = async (metrics: DeferredMetrics, status: string) => {
  const families = parsePrometheusText((await metrics.exposition()).body);
  return families.get('http_requests_total')?.samples.find((sample) => sample.labels.status === status)?.value;
};

describe('metrics loaded on first need', () => {
  it('holds cheap requests without loading prom-client, then counts every one of them at the first scrape', async () => {
    const { metrics, created } = deferred();
    for (let i = 0; i < 3; i++) metrics.requestDone({ route: '/healthz', method: 'GET', status: 200, seconds: 0.001 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(created()).toBe(0);
    expect(await requestsOf(metrics, '200')).toBe(3);
    expect(created()).toBe(1);
    metrics.requestDone({ route: '/healthz', method: 'GET', status: 200, seconds: 0.001 });
    expect(await requestsOf(metrics, '200')).toBe(4);
  });

  it('loads at the first answer, and past a bounded number of held calls', async () => {
    const first = deferred();
    first.metrics.answered({ mode: 'extractive', notices: [] });
    await first.metrics.load();
    expect(first.created()).toBe(1);
    const families = parsePrometheusText((await first.metrics.exposition()).body);
    expect(families.get('rag512_answers_total')?.samples[0]?.value).toBe(1);

    const many = deferred();
    for (let i = 0; i < 1001; i++) many.metrics.requestDone({ route: '/healthz', method: 'GET', status: 204, seconds: 0.001 });
    expect(many.created()).toBe(1);
    expect(await requestsOf(many.metrics, '204')).toBe(1001);
  });
});
