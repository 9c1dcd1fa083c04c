/**
 * Errors that know their HTTP meaning. They are raised where the problem is found and turned into
 * a response in one place (`error-handler.ts`), as `{ "error": { "code", "message" } }`.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  /** Seconds a client should wait before trying again (sent as `Retry-After`). */
  readonly retryAfterSeconds: number | undefined;
  /** Extra response headers (e.g. `Allow` on a 405). */
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options: { cause?: unknown; retryAfterSeconds?: number; headers?: Record<string, string> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.headers = options.headers ?? {};
  }
}

/** 400: the request is malformed or breaks a rule; the message says which field and which rule. */
export class InvalidRequestError extends ApiError {
  override name = 'InvalidRequestError';
  constructor(message: string, code = 'INVALID_REQUEST') {
    super(400, code, message);
  }
}

export class NotFoundError extends ApiError {
  override name = 'NotFoundError';
  constructor(method: string, path: string) {
    // The path is the client's own text: echo enough to recognise it, never 15 KB of it.
    const shown = path.length > 100 ? `${path.slice(0, 100)}…` : path;
    super(404, 'NOT_FOUND', `No route for ${method.slice(0, 16)} ${shown}. Try the page at GET /, POST /api/ask, GET /api/search, POST /v1/chat/completions, GET /healthz, GET /readyz or GET /api/memory`);
  }
}

export class MethodNotAllowedError extends ApiError {
  override name = 'MethodNotAllowedError';
  constructor(method: string, path: string, allowed: string[]) {
    super(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; use ${allowed.join(' or ')}`, { headers: { Allow: allowed.join(', ') } });
  }
}

export class PayloadTooLargeError extends ApiError {
  override name = 'PayloadTooLargeError';
  constructor(limitBytes: number) {
    super(413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${limitBytes} bytes`);
  }
}

export class UnsupportedMediaTypeError extends ApiError {
  override name = 'UnsupportedMediaTypeError';
  constructor(got: string | undefined) {
    super(415, 'UNSUPPORTED_MEDIA_TYPE', `The request body must be JSON (Content-Type: application/json), got ${got ? JSON.stringify(got) : 'no Content-Type'}`);
  }
}

/** 503 with `Retry-After`: the service cannot do this now but may soon (worker restarting, queue full, index missing). */
export class ServiceUnavailableError extends ApiError {
  override name = 'ServiceUnavailableError';
  constructor(code: string, message: string, retryAfterSeconds: number, options: { cause?: unknown } = {}) {
    super(503, code, message, { ...options, retryAfterSeconds });
  }
}

/** 504: a task outlived its deadline (queue wait included). */
export class TaskTimeoutError extends ApiError {
  override name = 'TaskTimeoutError';
  constructor(task: string, timeoutMs: number) {
    super(504, 'TASK_TIMEOUT', `The ${task} task did not finish within ${timeoutMs} ms (waiting in the queue included)`, { retryAfterSeconds: 1 });
  }
}

/** What a question gets in degraded memory mode, whether it arrives now or was queued. */
export function memoryDegradedError(memory: { rssMb: number; limitMb: number }): ServiceUnavailableError {
  return new ServiceUnavailableError('MEMORY_DEGRADED', `The server is near its memory limit (${memory.rssMb} of ${memory.limitMb} MB) and is shedding work until memory comes back down`, 10);
}
