import { createRequire } from 'node:module';
import type { Piscina } from 'piscina';
import type { WorkerConfig } from '../../workers/protocol.js';

/**
 * Piscina, required when the first worker starts (the first question), not at boot: an idle
 * server does not need it (2 to 4 MB of RSS, README "Memory"). Its CommonJS entry loads
 * synchronously, so the gate's spawn stays synchronous.
 */
let piscinaClass: typeof Piscina | undefined;
function piscina(): typeof Piscina {
  piscinaClass ??= (createRequire(import.meta.url)('piscina') as { Piscina: typeof Piscina }).Piscina;
  return piscinaClass;
}

/**
 * The worker's young generation, in MB. V8 sizes it for throughput (tens of MB of semi-space);
 * loading the index and embedding questions churn short-lived objects, so a small nursery keeps
 * RSS about 25 MB lower after the first answer and under load, for a few ms more per search
 * (measured, README "Memory").
 */
const YOUNG_GENERATION_MB = 4;

export interface SpawnOptions {
  /** The compiled worker entry (`dist/workers/worker.js`). */
  filename: string;
  workerData: WorkerConfig;
  /** The worker's V8 old generation (`WORKER_HEAP_MB`). */
  heapMb: number;
  /** Tasks the thread runs at once (default 1): more only where its task handler waits, on the PostgreSQL store. */
  concurrentTasks?: number;
}

/**
 * Start the one worker thread: a Piscina of exactly one thread that never idles out, its heap
 * bounded, running `concurrentTasks` tasks at once. `onIdleError` hears a worker that dies between tasks.
 */
export function spawnWorker(options: SpawnOptions, onIdleError: (error: unknown) => void): Piscina {
  const pool = new (piscina())({
    filename: options.filename,
    workerData: options.workerData,
    minThreads: 1,
    maxThreads: 1,
    idleTimeout: Number.POSITIVE_INFINITY,
    concurrentTasksPerWorker: options.concurrentTasks ?? 1,
    resourceLimits: { maxOldGenerationSizeMb: options.heapMb, maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
  // Without a listener, a worker that dies while idle throws 'error' on the process and kills it.
  pool.on('error', onIdleError);
  return pool;
}
