import type { Context } from 'koa';
import { ApiError, InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.js';

/** Read a JSON request body of at most `limitBytes`, with a clear error for each way it can be wrong. */
export async function readJson(ctx: Context, limitBytes: number): Promise<unknown> {
  const declared = ctx.request.length;
  if (!declared && !ctx.get('transfer-encoding')) throw new InvalidRequestError('The request needs a JSON body, for example {"question": "How many vacation days do I get?"}', 'MISSING_BODY');
  if (!ctx.is('application/json')) throw new UnsupportedMediaTypeError(ctx.get('content-type') || undefined);
  if (declared && declared > limitBytes) {
    ctx.set('Connection', 'close');
    throw new PayloadTooLargeError(limitBytes);
  }
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const part of ctx.req) {
      size += (part as Buffer).length;
      if (size > limitBytes) {
        ctx.set('Connection', 'close');
        throw new PayloadTooLargeError(limitBytes);
      }
      parts.push(part as Buffer);
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    // The client went away mid-body: its fault, not a server bug.
    throw new InvalidRequestError(`The request body could not be read: ${(error as Error).message}`, 'BODY_READ_FAILED');
  }
  const text = Buffer.concat(parts).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InvalidRequestError(`The request body is not valid JSON: ${(error as Error).message}`, 'INVALID_JSON');
  }
}
