/**
 * The service's parts with the metrics watching them: the same interfaces, each call timed or
 * counted on its way through. The composition root (`service.ts`) wires these in, so the parts
 * themselves know nothing of Prometheus.
 */
import type { Answerer } from '../answer/answerer.js';
import type { SearchOutput, SearchRequest } from '../workers/protocol.js';
import { LlmError, type LlmClient } from './llm.js';
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

/** An LLM client whose calls are timed by outcome and whose failures are counted by kind. */
export function observedLlm(llm: LlmClient, metrics: Pick<ServiceMetrics, 'llmCall'>): LlmClient {
  return {
    model: llm.model,
    async complete(messages, cancel) {
      const started = performance.now();
      try {
        const completion = await llm.complete(messages, cancel);
        metrics.llmCall('ok', performance.now() - started, completion.firstTokenMs);
        return completion;
      } catch (error) {
        metrics.llmCall(error instanceof LlmError ? error.kind : 'unknown', performance.now() - started);
        throw error;
      }
    },
    /** A streamed reply: the time to its first piece of text is the true time to first token. */
    async *stream(messages, cancel) {
      const started = performance.now();
      let firstTokenMs: number | undefined;
      try {
        for await (const text of llm.stream(messages, cancel)) {
          firstTokenMs ??= performance.now() - started;
          yield text;
        }
        metrics.llmCall('ok', performance.now() - started, firstTokenMs);
      } catch (error) {
        metrics.llmCall(error instanceof LlmError ? error.kind : 'unknown', performance.now() - started, firstTokenMs);
        throw error;
      }
    },
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
