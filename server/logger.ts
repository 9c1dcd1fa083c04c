import type { pino as Pino, DestinationStream, LoggerOptions } from 'pino';
import type { AnswerLog } from '../answer/ports.js';
import { requireCjs } from './require-cjs.js';

const { pino } = requireCjs('pino') as { pino: typeof Pino };

/**
 * A line's fields. `message` is the line's own and is taken by the first argument: a field of that
 * name would shadow it, so the type refuses one (name it `error` or `detail`).
 */
export type LogFields = Record<string, unknown> & { message?: never };

/**
 * One JSON object per line on stdout (what Heroku's and Render's log drains expect), written by pino.
 * The call keeps our `(message, fields)` order; `LogFields` says why fields cannot rename the line.
 */
export interface Logger extends AnswerLog {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Where lines go instead of stdout (tests): each JSON line, without its newline. */
export type LogSink = (line: string) => void;

export interface CreateLoggerOptions {
  /** Readable lines through pino-pretty, if it is installed (a dev dependency); JSON otherwise. */
  pretty?: boolean;
  sink?: LogSink;
}

/**
 * Field paths whose values never reach the log, at the depths our lines and their objects have
 * them (pino's redaction matches paths, not names anywhere).
 */
export const REDACTED_PATHS = [
  'authorization', 'headers.authorization', 'req.headers.authorization', '*.headers.authorization',
  'apiKey', '*.apiKey', '*.*.apiKey', 'api_key', '*.api_key', 'LLM_API_KEY', '*.LLM_API_KEY',
  '["x-api-key"]', 'headers["x-api-key"]', '*.headers["x-api-key"]',
];

const PINO_OPTIONS = {
  messageKey: 'message',
  // No pid or hostname on every line: the platform's log drain adds the dyno or instance.
  base: undefined,
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label: string) => ({ level: label }) },
  redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
} satisfies LoggerOptions;

/** A pino logger behind our `(message, fields)` calls. */
export function createLogger(level: LogLevel, options: LogSink | CreateLoggerOptions = {}): Logger {
  const { sink, pretty = false } = typeof options === 'function' ? { sink: options } : options;
  const prettyStream = pretty && !sink ? prettyDestination() : undefined;
  const destination: DestinationStream = sink
    ? { write: (line: string) => sink(line.endsWith('\n') ? line.slice(0, -1) : line) }
    // Synchronous writes: a line logged just before `process.exit` is not lost.
    : (prettyStream ?? pino.destination({ dest: 1, sync: true }));
  const logger = pino({ ...PINO_OPTIONS, level }, destination);
  if (pretty && !sink && !prettyStream) logger.warn('pino-pretty is not installed (it is a dev dependency): logging JSON');
  const at = (method: LogLevel) => (message: string, fields?: LogFields) => {
    if (fields) logger[method](fields, message);
    else logger[method](message);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** pino-pretty in a transport thread, or undefined when a production install has pruned it. */
function prettyDestination(): DestinationStream | undefined {
  try {
    requireCjs.resolve('pino-pretty');
  } catch {
    return undefined;
  }
  return pino.transport({ target: 'pino-pretty', options: { messageKey: 'message', translateTime: 'SYS:HH:MM:ss.l', destination: 1 } }) as DestinationStream;
}

/** For tests and tools that want silence. */
export const silentLogger: Logger = createLogger('error', () => undefined);
