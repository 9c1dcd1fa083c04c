import type { MemoryReport, Readiness } from '../http/api-types.js';
import type { GovernorSnapshot } from '../memory/governor.js';
import type { GateStats } from '../worker-gate/worker-gate.js';

export interface ReadinessContext {
  stats: GateStats;
  memory: GovernorSnapshot | null;
  shuttingDown: boolean;
  indexDir: string;
  embeddingModel: string;
  llmModel: string | null;
}

/**
 * Ready means a question asked now gets an answer. Before the first request nothing is loaded
 * (lazy start) and the service is ready unless the last attempt to load failed.
 */
export function readiness(context: ReadinessContext): Readiness {
  const { stats } = context;
  const state = stats.lastState;
  const base = {
    worker: stats.worker,
    index: { loaded: state?.indexLoaded ?? false, dir: context.indexDir, generation: state?.generation ?? null, chunks: state?.chunks ?? 0 },
    model: { configured: context.embeddingModel, loaded: state?.modelLoaded ?? false },
    retrieval: state?.indexLoaded ? (state.retrieval === 'lexical' ? 'lexical' : 'hybrid') : null,
    llm: { configured: context.llmModel !== null, model: context.llmModel },
    memory: context.memory ? { mode: context.memory.mode, rssMb: context.memory.rssMb, limitMb: context.memory.limitMb } : null,
  } as const;
  if (context.shuttingDown) return { ready: false, reason: 'the server is shutting down', ...base };
  if (context.memory?.mode === 'degraded') return { ready: false, reason: `memory is degraded (${context.memory.rssMb} of ${context.memory.limitMb} MB): questions are refused until it recovers`, ...base };
  if (stats.worker === 'unavailable') return { ready: false, reason: `the search worker cannot start: ${stats.lastError?.message ?? 'unknown error'}`, ...base };
  if (stats.lastError && !state?.indexLoaded) return { ready: false, reason: `${stats.lastError.code}: ${stats.lastError.message}`, ...base };
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
