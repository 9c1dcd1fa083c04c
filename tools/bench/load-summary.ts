/** A load run reduced to the figures the memory benchmark reports. */
import { percentile } from '../../evaluation/metrics.js';
import type { LoadResult } from './load-clients.js';

/** `n` rounded to `digits` decimals, as every figure in the report is. */
export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export interface LoadSummary {
  requests: number;
  failed: number;
  shed: number;
  shedByCode: Record<string, number>;
  statuses: Record<string, number>;
  answerModes: Record<string, number>;
  memoryModes: Record<string, number>;
  retrievals: Record<string, number>;
  requestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: string[];
}

/** The counts of a load run as they are, its latencies as percentiles and its throughput per second. */
export function summarize(load: LoadResult): LoadSummary {
  const { requests, failed, shed, shedByCode, statuses, answerModes, memoryModes, retrievals, errors } = load;
  return {
    requests, failed, shed, shedByCode, statuses, answerModes, memoryModes, retrievals, errors,
    requestsPerSecond: round(requests / (load.wallMs / 1000)),
    p50Ms: round(percentile(load.latencies, 50)), p95Ms: round(percentile(load.latencies, 95)),
    p99Ms: round(percentile(load.latencies, 99)), maxMs: round(load.latencies[load.latencies.length - 1] ?? Number.NaN),
  };
}
