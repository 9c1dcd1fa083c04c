import type { MemoryReport, Readiness } from '../http/api-types.js';
import type { GovernorSnapshot } from '../memory/governor.js';
import type { GateStats } from '../worker-gate/worker-gate.js';
import type { IndexCheck } from '../index-check.js';

export interface ReadinessContext {
  stats: GateStats;
  memory: GovernorSnapshot | null;
  shuttingDown: boolean;
  indexDir: string;
  embeddingModel: string;
  llmModel: string | null;
  /** The boot check of the index's manifest (server/index-check.ts); absent in tests that skip it. */
  index?: IndexCheck | null;
}

/**
 * Ready means a question asked now gets an answer. Before the first request nothing is loaded
 * (lazy start): the retrieval mode then comes from the manifest the boot check read, and the
 * service is ready unless that check refused the index or the last attempt to load failed.
 */
export function readiness(context: ReadinessContext): Readiness {
  const { stats } = context;
  const state = stats.lastState;
  const check = context.index ?? null;
  const loaded = state?.indexLoaded ?? false;
  const base = {
    worker: stats.worker,
    index: { loaded, dir: context.indexDir, generation: state?.generation ?? check?.generation ?? null, chunks: loaded ? state!.chunks : (check?.chunks ?? 0) },
    model: { configured: context.embeddingModel, loaded: state?.modelLoaded ?? false },
    retrieval: loaded ? (state!.retrieval === 'lexical' ? 'lexical' : 'hybrid') : (check?.retrieval ?? null),
    llm: { configured: context.llmModel !== null, model: context.llmModel },
    memory: context.memory ? { mode: context.memory.mode, rssMb: context.memory.rssMb, limitMb: context.memory.limitMb } : null,
  } as const;
  if (context.shuttingDown) return { ready: false, reason: 'the server is shutting down', ...base };
  if (context.memory?.mode === 'degraded') return { ready: false, reason: `memory is degraded (${context.memory.rssMb} of ${context.memory.limitMb} MB): questions are refused until it recovers`, ...base };
  if (check && !check.ok) return { ready: false, reason: check.reason ?? 'the index cannot be served', ...base };
  if (stats.worker === 'unavailable') return { ready: false, reason: `the search worker cannot start: ${stats.lastError?.message ?? 'unknown error'}`, ...base };
  if (stats.lastError && !state?.indexLoaded) return { ready: false, reason: `${stats.lastError.code}: ${stats.lastError.message}`, ...base };
  if (!state?.indexLoaded && base.retrieval === 'lexical') return { ready: true, reason: `keyword search only: ${check?.reason ?? 'no embedding model'}`, ...base };
  if (!state?.indexLoaded) return { ready: true, reason: 'the index and model load on the first request (WARMUP=true loads them at boot)', ...base };
  if (base.retrieval === 'lexical') return { ready: true, reason: `keyword search only: ${state.degradedReason ?? 'no embedding model'}`, ...base };
  return { ready: true, ...base };
}

const mb = (bytes: number) => Math.round(bytes / 104857.6) / 10;

/** `/api/memory`: the process as the OS sees it, the main thread's heap, and the worker's. */
export function memoryReport(stats: GateStats, governor: GovernorSnapshot | null): MemoryReport {
  const usage = process.memoryUsage();
  const worker = stats.lastWorkerMemory;
  return {
    rssMb: mb(usage.rss),
    mode: governor?.mode ?? 'normal',
    governor,
    main: { heapUsedMb: mb(usage.heapUsed), heapTotalMb: mb(usage.heapTotal), externalMb: mb(usage.external), arrayBuffersMb: mb(usage.arrayBuffers) },
    worker: {
      state: stats.worker,
      heapUsedMb: worker ? mb(worker.heapUsedBytes) : null,
      heapTotalMb: worker ? mb(worker.heapTotalBytes) : null,
      recycles: stats.recycles,
      recyclesByReason: stats.recyclesByReason,
      tasksSinceRecycle: stats.tasksSinceRecycle,
      recycleAfter: stats.recycleAfter,
      tasksTotal: stats.tasksTotal,
      crashes: stats.crashes,
      outOfMemory: stats.outOfMemory,
      retried: stats.retried,
      queued: stats.queued,
      model: stats.model,
    },
    modelAdmission: stats.admission,
  };
}
