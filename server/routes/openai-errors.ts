/**
 * Errors in OpenAI's shape (`{ error: { message, type, param, code } }`), apart from the wire
 * format's zod schemas: the error handler, which every request passes, needs only these.
 */
import { ApiError, InvalidRequestError } from '../http/errors.js';

/** A 400 naming the request field at fault, as OpenAI's `param`. */
export class WireRequestError extends InvalidRequestError {
  override name = 'WireRequestError';
  constructor(message: string, readonly param: string | null) {
    super(message);
  }
}

/** OpenAI's error body. */
export interface WireErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  408: 'invalid_request_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  429: 'rate_limit_error',
};

/** Our error as OpenAI clients read it; `undefined` known means a bug, answered without internals. */
export function wireError(known: ApiError | undefined): { status: number; body: WireErrorBody } {
  if (!known) return { status: 500, body: { error: { message: 'The server failed to handle this request; the error is in its log', type: 'server_error', param: null, code: 'internal_error' } } };
  const param = known instanceof WireRequestError ? known.param : null;
  return { status: known.status, body: { error: { message: known.message, type: ERROR_TYPES[known.status] ?? 'server_error', param, code: known.code.toLowerCase() } } };
}
