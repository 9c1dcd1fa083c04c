import { describe, expect, it } from '@jest/globals';
import type { ChatMessage } from '../../answer/ports.js';
import { LlmError, type Completion, type LlmClient } from '../../server/llm.js';
import { limitedLlm } from '../../server/llm-limit.js';

const MESSAGES: ChatMessage[] = [{ role: 'user', content: 'q' }];

/** An LLM whose calls finish only when the test says so; it counts how many run at once. */
function heldLlm() {
  const pending: ((completion: Completion) => void)[] = [];
  let running = 0;
  let peak = 0;
  const started: (() => void)[] = [];
  const llm: LlmClient = {
    model: 'held',
    complete: () => {
      running++;
      peak = Math.max(peak, running);
      started.shift()?.();
      return new Promise<Completion>((resolve) =>
        pending.push((completion) => {
          running--;
          resolve(completion);
        }),
      );
    },
    async *stream() {
      yield 'streamed';
    },
  };
  return {
    llm,
    finishOne: () => pending.shift()?.({ text: 'ok', model: 'held', ms: 1, firstTokenMs: 1 }),
    get peak() {
      return peak;
    },
    get pending() {
      return pending.length;
    },
    /** Resolves when the next call reaches the LLM. */
    nextStart: () => new Promise<void>((resolve) => started.push(resolve)),
  };
}

describe('limitedLlm', () => {
  it('runs at most LLM_MAX_CONCURRENCY calls at once; the others wait their turn in order', async () => {
    const held = heldLlm();
    const limited = limitedLlm(held.llm, { maxConcurrent: 2, maxWaiting: 10, maxWaitMs: 60_000 });
    const calls = Array.from({ length: 5 }, () => limited.complete(MESSAGES));
    await new Promise((resolve) => setImmediate(resolve));
    expect(held.pending).toBe(2);
    expect(limited.waiting).toBe(3);
    for (let i = 0; i < 5; i++) {
      const started = i < 3 ? held.nextStart() : Promise.resolve();
      held.finishOne();
      await started;
    }
    await Promise.all(calls);
    expect(held.peak).toBe(2);
    expect(limited.inFlight).toBe(0);
    expect(limited.waiting).toBe(0);
  });

  it('refuses a call at once when LLM_QUEUE_MAX already wait, as busy', async () => {
    const held = heldLlm();
    const limited = limitedLlm(held.llm, { maxConcurrent: 1, maxWaiting: 1, maxWaitMs: 60_000 });
    const first = limited.complete(MESSAGES);
    const second = limited.complete(MESSAGES);
    await expect(limited.complete(MESSAGES)).rejects.toMatchObject({ kind: 'busy' });
    held.finishOne();
    await first;
    held.finishOne();
    await second;
  });

  it('lets a waiting call leave when its caller cancels, or when it waited too long, and never calls the LLM for it', async () => {
    const held = heldLlm();
    const limited = limitedLlm(held.llm, { maxConcurrent: 1, maxWaiting: 5, maxWaitMs: 50 });
    const first = limited.complete(MESSAGES);
    const cancel = new AbortController();
    const cancelled = limited.complete(MESSAGES, cancel.signal);
    cancel.abort();
    await expect(cancelled).rejects.toMatchObject({ kind: 'cancelled' });
    await expect(limited.complete(MESSAGES)).rejects.toBeInstanceOf(LlmError);
    expect(limited.waiting).toBe(0);
    held.finishOne();
    await first;
    expect(held.peak).toBe(1);
    expect(limited.inFlight).toBe(0);
  });

  it('holds a turn for the whole of a stream', async () => {
    const held = heldLlm();
    const limited = limitedLlm(held.llm, { maxConcurrent: 1, maxWaiting: 0, maxWaitMs: 60_000 });
    const pieces: string[] = [];
    for await (const piece of limited.stream(MESSAGES)) {
      pieces.push(piece);
      expect(limited.inFlight).toBe(1);
      await expect(limited.complete(MESSAGES)).rejects.toMatchObject({ kind: 'busy' });
    }
    expect(pieces).toEqual(['streamed']);
    expect(limited.inFlight).toBe(0);
  });
});
