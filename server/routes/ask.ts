import type { Context } from 'koa';
import type { Answerer, AskInput } from '../../answer/answerer.js';
import type { AskResponse } from '../http/api-types.js';
import { readJson } from '../http/read-json.js';
import type { Handler } from '../http/router.js';
import { clientGoneSignal, openSse, streamErrorBody, type SseOptions } from '../http/sse.js';
import { inputParsers, type InputLimits } from '../http/validate.js';
import { sendJson } from '../http/json-body.js';

/**
 * A question is a few hundred bytes. The body may hold the longest question allowed
 * (MAX_QUESTION_CHARS, each character escaped as \uXXXX at worst) and the other fields, no more:
 * 16 KB at the defaults (it was 64 KB, many times the largest valid request).
 */
function bodyLimit(limits: InputLimits): number {
  return Math.max(16 * 1024, limits.maxQuestionChars * 6 + 4096);
}

/**
 * `POST /api/ask`: a JSON question in, an answer with its checked citations out. With
 * `Accept: text/event-stream` or `"stream": true`, the answer is streamed as server-sent events:
 * `token` (`{"text"}`, the answer's pieces as they are written and checked), then `answer` (the
 * same body as the plain response), then `done`; an error after the headers is an `error` event.
 */
export function askHandler(answerer: Pick<Answerer, 'ask' | 'askStream'>, limits: InputLimits, streaming: SseOptions = {}): Handler {
  const maxBytes = bodyLimit(limits);
  const parse = inputParsers(limits);
  return async (ctx) => {
    const body = await readJson(ctx, maxBytes);
    const { input, stream } = parse.ask(body);
    if (stream || ctx.get('accept').includes('text/event-stream')) return streamAnswer(ctx, answerer, input, streaming);
    sendJson(ctx, (await answerer.ask(input, clientGoneSignal(ctx))) satisfies AskResponse);
  };
}

/** Open the event stream now and write the answer into it as it comes; the handler returns at once. */
function streamAnswer(ctx: Context, answerer: Pick<Answerer, 'askStream'>, input: AskInput, options: SseOptions): void {
  const sse = openSse(ctx, options);
  void (async () => {
    try {
      for await (const event of answerer.askStream(input, sse.signal)) {
        if (event.type === 'token') sse.send({ text: event.text }, 'token');
        else sse.send(event.answer satisfies AskResponse, 'answer');
      }
      sse.send({}, 'done');
    } catch (error) {
      if (!sse.signal.aborted) sse.send(streamErrorBody(error, ctx, options.log), 'error');
    } finally {
      sse.end();
    }
  })();
}
