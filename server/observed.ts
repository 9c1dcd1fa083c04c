/**
 * The service's parts with the metrics watching them: the same interfaces, each call timed or
 * counted on its way through. The composition root (`service.ts`) wires these in, so the parts
 * themselves know nothing of Prometheus. The LLM client's is in `observed-llm.ts`, loaded with the
 * client (and ky) only when there is one.
 */
import type { Answerer } from '../answer/answerer.js';
import type { SearchOutput, SearchRequest } from '../workers/protocol.js';
import type { ServiceMetrics } from './metrics.js';
import type { TaskResult } from './worker-gate/worker-gate.js';

type Search = (request: SearchRequest) => Promise<TaskResult<SearchOutput>>;

/** A search whose queue wait, embedding and retrieval times are observed. */
export function observedSearch(search: Search, metrics: Pick<ServiceMetrics, 'searched'>): Search {
  return async (request) => {
    const result = await search(request);
    metrics.searched(result);
    return result;
  };
}

/** An answerer whose answers are counted by mode, and abstentions by cause. */
export function observedAnswerer(answerer: Pick<Answerer, 'ask' | 'askStream'>, metrics: Pick<ServiceMetrics, 'answered'>): Pick<Answerer, 'ask' | 'askStream'> {
  return {
    async ask(input, cancel) {
      const response = await answerer.ask(input, cancel);
      metrics.answered(response);
      return response;
    },
    async *askStream(input, cancel) {
      for await (const event of answerer.askStream(input, cancel)) {
        if (event.type === 'answer') metrics.answered(event.answer);
        yield event;
      }
    },
  };
}
