import type { SearchBatchOutput, SearchRequest, WorkerConfig, WorkerResult, WorkerTask } from '../../workers/protocol.js';
import type { WorkerSettings } from '../config.js';

/** Tasks at once on the worker: `pgSearchesInFlight` for the PostgreSQL store, one for the file store (CPU-bound). */
export function tasksInFlight(workerData: WorkerConfig, settings: WorkerSettings): number {
  return workerData.indexStore ? Math.max(1, settings.pgSearchesInFlight ?? 1) : 1;
}

/** A search task as one of a batch's searches (its `task` name rides along; the worker ignores it). */
export function searchRequestOf(task: WorkerTask): SearchRequest {
  if (task.task !== 'search') throw new Error(`a ${task.task} task cannot join a search batch`);
  return task;
}

/** The batch's result for its `index`th search, as a lone search's result would be (the batch's memory and state). */
export function itemResult(result: WorkerResult<SearchBatchOutput>, index: number): WorkerResult<unknown> {
  const { memory, state } = result;
  if (!result.ok) return result;
  const item = result.value.results[index];
  if (!item) return { ok: false, code: 'WORKER_ERROR', message: `the batch answered ${result.value.results.length} searches, not ${index + 1}`, memory, state };
  return item.ok ? { ok: true, value: item.value, memory, state } : { ok: false, code: item.code, message: item.message, memory, state };
}
