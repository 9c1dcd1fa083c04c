import { ApiError, ServiceUnavailableError } from '../http/errors.js';

/**
 * The worker reports failures as `{ ok: false, code, message }` (classes do not cross threads).
 * This turns each code into the server's own error with its HTTP meaning.
 */
export function workerFailure(code: string, message: string): ApiError {
  switch (code) {
    case 'INDEX_NOT_FOUND':
      return new ServiceUnavailableError('INDEX_NOT_READY', `${message}. Build it with npm run prebuild`, 10);
    case 'DATABASE_UNAVAILABLE':
      return new ServiceUnavailableError(code, message, 5);
    case 'INDEX_CORRUPT':
    case 'INDEX_MODEL_MISMATCH':
    case 'MODEL_NOT_FOUND':
      return new ServiceUnavailableError(code, message, 30);
    default:
      return new ApiError(500, 'WORKER_ERROR', `The search worker failed: ${message}`);
  }
}
