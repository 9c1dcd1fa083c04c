/**
 * The request inputs of `/api/ask` and `/api/search`, read with zod (as `/v1/chat/completions` and
 * `/api/documents` are): each refusal is a 400 naming the field, the rule, and what came instead.
 */
import { z } from 'zod';
import type { AskInput } from '../../answer/answerer.js';
import { InvalidRequestError } from './errors.js';

export interface InputLimits {
  defaultTopK: number;
  maxTopK: number;
  maxQuestionChars: number;
}

const MAX_SOURCE_CHARS = 500;
/** C0 controls but tab, newline and carriage return, and DEL: nothing a question is typed with. */
const LONE_SURROGATE = /\p{Cs}/u;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** What a client sent, as a refusal names it: short, and saying "too large" for what JSON read as Infinity. */
export function described(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : `${value > 0 ? '' : '-'}a number too large to represent (JSON read it as ${String(value)})`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

function questionSchema(field: string, limits: InputLimits) {
  return z
    .string({ error: (issue) => `${field} must be a string, got ${issue.input === undefined ? 'nothing' : typeof issue.input}` })
    .transform((text) => text.trim())
    .refine((text) => text.length > 0, `${field} must not be empty`)
    .refine((text) => !LONE_SURROGATE.test(text), `${field} must be text: it holds half of a UTF-16 surrogate pair`)
    .refine((text) => !CONTROL.test(text), `${field} must not hold control characters (NUL, escape and the like)`)
    .superRefine((text, ctx) => {
      if (text.length > limits.maxQuestionChars) ctx.addIssue({ code: 'custom', message: `${field} must be at most ${limits.maxQuestionChars} characters, got ${text.length}` });
    });
}

/** An integer from 1 to maxTopK; a string of digits counts (query strings have nothing else). */
function topKSchema(field: string, limits: InputLimits) {
  const error = (issue: { input?: unknown }) => `${field} must be an integer from 1 to ${limits.maxTopK}, got ${described(issue.input)}`;
  return z.preprocess(
    (value) => (typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : value),
    z.number({ error }).int({ error }).min(1, { error }).max(limits.maxTopK, { error }),
  );
}

const sourceSchema = (message: string) => z.string({ error: message }).max(MAX_SOURCE_CHARS, { error: message }).refine((text) => !CONTROL.test(text), message);

const filterSchema = z
  .strictObject(
    { source: sourceSchema(`filter.source must be a string (a path prefix such as "leave/") of at most ${MAX_SOURCE_CHARS} characters`).optional() },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? `filter has unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; the only one is "source"` : 'filter must be an object such as {"source": "leave/"}') },
  )
  .nullish();

function askSchema(limits: InputLimits) {
  return z.strictObject(
    {
      question: questionSchema('question', limits),
      topK: topKSchema('topK', limits).optional(),
      filter: filterSchema,
      stream: z.boolean({ error: (issue) => `stream must be true or false, got ${described(issue.input)}` }).optional(),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `Unknown field ${shownKeys(issue.keys)}; the fields are question, topK, filter and stream`
          : 'The body must be a JSON object such as {"question": "How many vacation days do I get?"}',
    },
  );
}

const SEARCH_PARAMETERS = ['q', 'k', 'source'] as const;

function searchSchema(limits: InputLimits) {
  const once = (name: string) => z.string({ error: (issue) => (Array.isArray(issue.input) ? `${name} must be given once` : `${name} must be a string, got nothing`) });
  return z.strictObject(
    {
      q: once('q').optional().pipe(questionSchema('q', limits)),
      k: z.unknown().refine((value) => !Array.isArray(value), { error: 'k must be given once', abort: true }).pipe(topKSchema('k', limits)).optional(),
      source: once('source').pipe(sourceSchema(`source must be a path prefix (such as "leave/") of at most ${MAX_SOURCE_CHARS} characters`)).optional(),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? `Unknown parameter ${shownKeys(issue.keys)}; the parameters are ${SEARCH_PARAMETERS.join(', ')}` : 'invalid query') },
  );
}

/** At most three keys named, then how many more: a refusal never echoes 1,000 parameters. */
function shownKeys(keys: string[]): string {
  const shown = keys.slice(0, 3).map((key) => JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key));
  return `${shown.join(', ')}${keys.length > 3 ? ` and ${keys.length - 3} more` : ''}`;
}

/** The first issue as a 400: the schemas' messages name the field themselves. */
function refusal(error: z.ZodError): InvalidRequestError {
  return new InvalidRequestError(error.issues[0]?.message ?? 'The request is not valid');
}

/** The parsers of one set of limits: schemas are built once, not per request. */
export function inputParsers(limits: InputLimits) {
  const ask = askSchema(limits);
  const search = searchSchema(limits);
  return {
    /** `POST /api/ask` body → AskInput and whether to stream it, or a 400 naming the field and the rule. */
    ask(body: unknown): { input: AskInput; stream: boolean } {
      const parsed = ask.safeParse(body);
      if (!parsed.success) throw refusal(parsed.error);
      const { question, topK, filter, stream } = parsed.data;
      return { input: { question, topK: topK ?? limits.defaultTopK, ...(filter?.source !== undefined ? { filter: { source: filter.source } } : {}) }, stream: stream ?? false };
    },
    /** `GET /api/search?q=&k=&source=` → its parts, or a 400. */
    search(query: Record<string, string | string[] | undefined>): AskInput {
      const parsed = search.safeParse({ ...query });
      if (!parsed.success) throw refusal(parsed.error);
      const { q, k, source } = parsed.data;
      return { question: q, topK: k ?? limits.defaultTopK, ...(source ? { filter: { source } } : {}) };
    },
  };
}

/** `POST /api/ask` body → AskInput, or a 400 naming the field and the rule. */
export function parseAskBody(body: unknown, limits: InputLimits): AskInput {
  return inputParsers(limits).ask(body).input;
}

/** `GET /api/search?q=&k=&source=` → its parts, or a 400. */
export function parseSearchQuery(query: Record<string, string | string[] | undefined>, limits: InputLimits): AskInput {
  return inputParsers(limits).search(query);
}
