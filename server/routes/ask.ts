import type { Answerer } from '../../answer/answerer.js';
import type { AskResponse } from '../http/api-types.js';
import { readJson } from '../http/read-json.js';
import type { Handler } from '../http/router.js';
import { parseAskBody, type InputLimits } from '../http/validate.js';

/** A question is a few hundred bytes; anything near this is a mistake or an attack. */
const BODY_LIMIT_BYTES = 64 * 1024;

/** `POST /api/ask`: a JSON question in, an answer with its checked citations out. */
export function askHandler(answerer: Pick<Answerer, 'ask'>, limits: InputLimits): Handler {
  return async (ctx) => {
    const input = parseAskBody(await readJson(ctx, BODY_LIMIT_BYTES), limits);
    ctx.body = (await answerer.ask(input)) satisfies AskResponse;
  };
}
