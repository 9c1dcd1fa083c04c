import type { Context } from 'koa';
import { ApiError, InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.js';

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** 415: JSON in a charset other than UTF-8. */
class UnsupportedCharsetError extends ApiError {
  override name = 'UnsupportedCharsetError';
  constructor(charset: string) {
    super(415, 'UNSUPPORTED_MEDIA_TYPE', `The request body must be JSON in UTF-8, got charset ${JSON.stringify(charset.slice(0, 40))}`);
  }
}

/** Read a JSON request body of at most `limitBytes`, with a clear error for each way it can be wrong. */
export async function readJson(ctx: Context, limitBytes: number): Promise<unknown> {
  const declared = ctx.request.length;
  if (!declared && !ctx.get('transfer-encoding')) throw new InvalidRequestError('The request needs a JSON body, for example {"question": "How many vacation days do I get?"}', 'MISSING_BODY');
  if (!ctx.is('application/json')) throw new UnsupportedMediaTypeError(ctx.get('content-type') || undefined);
  // JSON is UTF-8 (RFC 8259); a body declared in another charset (UTF-16...) is refused before it is read.
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(ctx.get('content-type'))?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') throw new UnsupportedCharsetError(charset);
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
  let text: string;
  try {
    // Bytes that are not UTF-8 are refused, not silently turned into U+FFFD; a BOM is dropped.
    text = STRICT_UTF8.decode(Buffer.concat(parts));
  } catch {
    throw new InvalidRequestError('The request body is not valid UTF-8', 'INVALID_ENCODING');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InvalidRequestError(`The request body is not valid JSON: ${(error as Error).message}`, 'INVALID_JSON');
  }
}
