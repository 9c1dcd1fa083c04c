import type { ServiceMetrics } from './metrics.js';

/** What the service records through; `ServiceMetrics` itself, or one that loads it when first needed. */
export type MetricsSink = Pick<ServiceMetrics, 'requestDone' | 'searched' | 'llmCall' | 'answered' | 'exposition'>;

/** Calls held before prom-client is loaded; past this many, it is loaded anyway (memory stays bounded). */
const MAX_PENDING = 1000;

/**
 * The service's metrics, with prom-client (and the OpenTelemetry API it imports) loaded at the
 * first question, the first scrape, or after `MAX_PENDING` other requests, not at boot: an idle
 * server answering health checks does not need it (about 2 MB of RSS, README "Memory"). Until
 * then calls are kept in order and replayed into the registry, so no count is lost; the default
 * process metrics (event loop lag, GC) start at the load.
 */
export class DeferredMetrics implements MetricsSink {
  private loaded: ServiceMetrics | undefined;
  private loading: Promise<ServiceMetrics> | undefined;
  private pending: ((metrics: ServiceMetrics) => void)[] = [];

  constructor(private readonly create: () => Promise<ServiceMetrics>) {}

  /** prom-client's registry, loaded now if it was not. */
  load(): Promise<ServiceMetrics> {
    this.loading ??= this.create().then((metrics) => {
      this.loaded = metrics;
      for (const call of this.pending) call(metrics);
      this.pending = [];
      return metrics;
    });
    return this.loading;
  }

  requestDone(...args: Parameters<ServiceMetrics['requestDone']>): void {
    this.record((metrics) => metrics.requestDone(...args), this.pending.length >= MAX_PENDING);
  }

  searched(...args: Parameters<ServiceMetrics['searched']>): void {
    this.record((metrics) => metrics.searched(...args), true);
  }

  llmCall(...args: Parameters<ServiceMetrics['llmCall']>): void {
    this.record((metrics) => metrics.llmCall(...args), true);
  }

  answered(...args: Parameters<ServiceMetrics['answered']>): void {
    this.record((metrics) => metrics.answered(...args), true);
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return (await this.load()).exposition();
  }

  private record(call: (metrics: ServiceMetrics) => void, loadNow: boolean): void {
    if (this.loaded) return call(this.loaded);
    this.pending.push(call);
    // A failed import is a broken install: the scrape reports it; recording must not throw into a request.
    if (loadNow) this.load().catch(() => undefined);
  }
}
