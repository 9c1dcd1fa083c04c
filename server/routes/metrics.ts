import type { Handler } from '../http/router.js';
import type { ServiceMetrics } from '../metrics.js';

/** `GET /metrics`: the Prometheus text format, from the service's own registry. */
export function metricsHandler(metrics: Pick<ServiceMetrics, 'exposition'>): Handler {
  return async (ctx) => {
    const { contentType, body } = await metrics.exposition();
    ctx.type = contentType;
    ctx.body = body;
  };
}
