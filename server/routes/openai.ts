import type { Context } from 'koa';
import { randomUUID } from 'node:crypto';
import type { Answerer, AskInput } from '../../answer/answerer.js';
import { ApiError } from '../http/errors.js';
import { readJson } from '../http/read-json.js';
import type { Handler } from '../http/router.js';
import { clientGoneSignal, openSse, type SseOptions } from '../http/sse.js';
import type { InputLimits } from '../http/validate.js';
import { extrasOf, MODEL_ID, parseChatRequest, usageOf, wireError, type ChatCompletion, type ChatCompletionChunk, type ChatRequest } from './openai-wire.js';
import { sendJson } from '../http/json-body.js';

/** A conversation carries its earlier turns: more than a single question, still small. */
const BODY_LIMIT_BYTES = 256 * 1024;
/** `created` of the one model: when this server started. */
const STARTED = Math.floor(Date.now() / 1000);

/** `GET /v1/models`: the one model, our answerer. */
export function modelsHandler(): Handler {
  return (ctx) => {
    sendJson(ctx, { object: 'list', data: [{ id: MODEL_ID, object: 'model', created: STARTED, owned_by: 'rag512' }] });
  };
}

/**
 * `POST /v1/chat/completions`: the last user message is the question, earlier turns its context
 * (made standalone before retrieval); the answer comes from the documents, with its checked
 * citations in an extra top-level `citations` (of the response, or of the stream's last chunk).
 */
export function chatCompletionsHandler(answerer: Pick<Answerer, 'ask' | 'askStream'>, limits: InputLimits, streaming: SseOptions = {}): Handler {
  // Errors thrown here are answered in OpenAI's shape by the one error handler (every /v1 path is).
  return async (ctx) => {
    const request = parseChatRequest(await readJson(ctx, BODY_LIMIT_BYTES), limits.maxQuestionChars);
    const input: AskInput = { question: request.question, topK: limits.defaultTopK, ...(request.history.length ? { history: request.history } : {}) };
    const id = `chatcmpl-${randomUUID().replaceAll('-', '')}`;
    const created = Math.floor(Date.now() / 1000);
    if (request.stream) return streamCompletion(ctx, answerer, input, request, { id, created }, streaming);
    const answer = await answerer.ask(input, clientGoneSignal(ctx));
    sendJson(ctx, {
      id,
      object: 'chat.completion',
      created,
      model: MODEL_ID,
      choices: [{ index: 0, message: { role: 'assistant', content: answer.answer, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: usageOf(request.promptChars, answer.answer),
      ...extrasOf(answer),
    } satisfies ChatCompletion);
  };
}

/** The answer as `chat.completion.chunk` events: the role, the text as it is written, the finish with the citations, `[DONE]`. */
function streamCompletion(ctx: Context, answerer: Pick<Answerer, 'askStream'>, input: AskInput, request: ChatRequest, ids: { id: string; created: number }, options: SseOptions): void {
  const sse = openSse(ctx, options);
  const chunk = (delta: ChatCompletionChunk['choices'][0]['delta'], extra: Partial<ChatCompletionChunk> = {}, finish: 'stop' | null = null): ChatCompletionChunk => ({
    id: ids.id,
    object: 'chat.completion.chunk',
    created: ids.created,
    model: MODEL_ID,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...extra,
  });
  void (async () => {
    try {
      sse.send(chunk({ role: 'assistant', content: '' }));
      for await (const event of answerer.askStream(input, sse.signal)) {
        if (event.type === 'token') {
          sse.send(chunk({ content: event.text }));
          continue;
        }
        const { answer } = event;
        sse.send(chunk({}, { ...extrasOf(answer), ...(request.includeUsage ? { usage: usageOf(request.promptChars, answer.answer) } : {}) }, 'stop'));
      }
      sse.send('[DONE]');
    } catch (error) {
      if (sse.signal.aborted) return;
      const known = error instanceof ApiError ? error : undefined;
      if (!known) options.log?.error('unhandled error in a stream', { method: ctx.method, path: ctx.path, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      sse.send(wireError(known).body);
    } finally {
      sse.end();
    }
  })();
}
