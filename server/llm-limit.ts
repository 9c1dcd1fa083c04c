import { LlmError, type LlmClient } from './llm.js';

/** How many LLM calls run at once, how many may wait for a turn, and for how long. */
export interface LlmLimits {
  maxConcurrent: number;
  maxWaiting: number;
  maxWaitMs: number;
}

/**
 * The LLM client with a bound on calls in flight and a queue of its own: a burst of questions
 * cannot open a hundred paid calls at once (100 abandoned asks made 99, 133 at a time). A call
 * waits for a turn at most `maxWaitMs`, leaves the queue when its caller cancels, and is refused
 * at once when `maxWaiting` calls already wait: the answer is then quoted from the passages.
 */
export function limitedLlm(llm: LlmClient, limits: LlmLimits): LlmClient & { readonly inFlight: number; readonly waiting: number } {
  let running = 0;
  const queue: (() => void)[] = [];

  const release = () => {
    running--;
    const next = queue.shift();
    if (next) next();
  };

  /** A turn, or an LlmError: busy (queue full, or waited too long) or cancelled. */
  const acquire = (cancel?: AbortSignal): Promise<void> => {
    if (cancel?.aborted) return Promise.reject(new LlmError('cancelled', 'the LLM call was cancelled before it started'));
    if (running < limits.maxConcurrent) {
      running++;
      return Promise.resolve();
    }
    if (queue.length >= limits.maxWaiting) {
      return Promise.reject(new LlmError('busy', `${running} LLM calls are running and ${queue.length} waiting (LLM_MAX_CONCURRENCY, LLM_QUEUE_MAX)`));
    }
    return new Promise<void>((resolve, reject) => {
      const leave = (error: LlmError) => {
        const at = queue.indexOf(turn);
        if (at >= 0) queue.splice(at, 1);
        clearTimeout(timer);
        cancel?.removeEventListener('abort', onCancel);
        reject(error);
      };
      const turn = () => {
        clearTimeout(timer);
        cancel?.removeEventListener('abort', onCancel);
        running++;
        resolve();
      };
      const onCancel = () => leave(new LlmError('cancelled', 'the LLM call was cancelled while waiting for a turn'));
      const timer = setTimeout(() => leave(new LlmError('busy', `no LLM call finished within ${limits.maxWaitMs} ms to make room`)), limits.maxWaitMs);
      cancel?.addEventListener('abort', onCancel, { once: true });
      queue.push(turn);
    });
  };

  return {
    model: llm.model,
    get inFlight() {
      return running;
    },
    get waiting() {
      return queue.length;
    },
    async complete(messages, cancel) {
      await acquire(cancel);
      try {
        return await llm.complete(messages, cancel);
      } finally {
        release();
      }
    },
    async *stream(messages, cancel) {
      await acquire(cancel);
      try {
        yield* llm.stream(messages, cancel);
      } finally {
        release();
      }
    },
  };
}
