/**
 * The LLM client with the metrics watching it (see `observed.ts`): apart, because it needs the
 * client's module and with it ky, which a server without an LLM never loads.
 */
import { LlmError, type LlmClient } from './llm.js';
import type { ServiceMetrics } from './metrics.js';

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
