import { headingOf, headingTrail } from '../../answer/prompt.js';
import type { SearchHit, SearchOutput } from '../../workers/protocol.js';
import type { SearchResponse, SearchResult } from '../http/api-types.js';
import type { Handler } from '../http/router.js';
import { inputParsers, type InputLimits } from '../http/validate.js';
import type { TaskResult, WorkerGate } from '../worker-gate/worker-gate.js';
import { sendJson } from '../http/json-body.js';

/** `GET /api/search?q=&k=&source=`: the ranked passages only, no answer. */
export function searchHandler(gate: Pick<WorkerGate, 'search'>, limits: InputLimits): Handler {
  const parse = inputParsers(limits);
  return async (ctx) => {
    const input = parse.search(ctx.query);
    const found = await gate.search({ query: input.question, topK: input.topK, ...(input.filter ? { filter: input.filter } : {}) });
    sendJson(ctx, presentSearch(found));
  };
}

/** The worker's search output as the API shows it: passages with their place in the document. */
export function presentSearch(found: Pick<TaskResult<SearchOutput>, 'value' | 'queueMs'>): SearchResponse {
  const { value } = found;
  return {
    results: value.hits.map(toResult),
    retrieval: value.retrieval === 'lexical' ? 'lexical' : 'hybrid',
    ...(value.degradedReason ? { notice: `keyword search only: ${value.degradedReason}` } : {}),
    timings: { queueMs: found.queueMs, embedMs: value.timings.embedMs, searchMs: value.timings.searchMs },
  };
}

function toResult(hit: SearchHit): SearchResult {
  return { id: hit.id, source: hit.source, title: hit.title, heading: headingOf(hit), trail: headingTrail(hit), start: hit.start, end: hit.end, ...(hit.page !== undefined ? { page: hit.page } : {}), text: hit.text, score: hit.score };
}
