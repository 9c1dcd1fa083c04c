/**
 * What the API answers, route by route: the response bodies as clients see them. Errors from
 * every route share one shape (`ErrorBody`).
 */
import type { GovernorSnapshot, MemoryMode } from '../memory/governor.js';
import type { GateStats } from '../worker-gate/worker-gate.js';

export type { AskResponse, Citation } from '../../answer/answerer.js';

/** The error body every failing route returns. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/** `GET /`: what the service is and how to call it. */
export interface AboutResponse {
  name: 'rag512';
  version: string;
  description: string;
  endpoints: Record<string, string>;
  try: string;
}

/** `GET /healthz`: the process is up. */
export interface HealthResponse {
  status: 'ok';
  uptimeSeconds: number;
}

/** `GET /readyz` (200 when `ready`, else 503). */
export interface Readiness {
  ready: boolean;
  /** Why not ready, or what is limited while ready (e.g. keyword search only). */
  reason?: string;
  worker: GateStats['worker'];
  index: { loaded: boolean; dir: string; generation: string | null; chunks: number };
  model: { configured: string; loaded: boolean };
  retrieval: 'hybrid' | 'lexical' | null;
  llm: { configured: boolean; model: string | null };
  memory: { mode: GovernorSnapshot['mode']; rssMb: number; limitMb: number } | null;
}

/** `GET /api/memory`: the process as the OS sees it, the main thread's heap, and the worker's (MB). */
export interface MemoryReport {
  rssMb: number;
  mode: MemoryMode;
  governor: GovernorSnapshot | null;
  main: { heapUsedMb: number; heapTotalMb: number; externalMb: number; arrayBuffersMb: number };
  /** The gate's counters as they are; `model` says whether this worker loaded the embedding model or runs without it (keyword search) to save memory. */
  worker: Pick<GateStats, 'recycles' | 'recyclesByReason' | 'tasksSinceRecycle' | 'recycleAfter' | 'tasksTotal' | 'crashes' | 'outOfMemory' | 'retried' | 'queued' | 'model'> & {
    state: GateStats['worker'];
    /** As of the worker's last task. */
    heapUsedMb: number | null;
    heapTotalMb: number | null;
  };
  /** The model admission: what a model load costs, and whether the model is held back. */
  modelAdmission: GateStats['admission'];
}

/** One ranked passage of `GET /api/search`. */
export interface SearchResult {
  id: string;
  source: string;
  title: string;
  /** The heading trail below the title, as citations show it. */
  heading: string;
  /** The title and heading trail together. */
  trail: string;
  /** Character span in the source's cleaned text. */
  start: number;
  end: number;
  /** The page of a PDF the passage is on (1-based); absent for formats without pages. */
  page?: number;
  text: string;
  score: number;
}

/** `GET /api/search`: the ranked passages only, no answer. */
export interface SearchResponse {
  results: SearchResult[];
  retrieval: 'hybrid' | 'lexical';
  /** Set when the search was by keyword only, saying why. */
  notice?: string;
  timings: { queueMs: number; embedMs: number; searchMs: number };
}
