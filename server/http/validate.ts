import type { SearchFilter } from '../../workers/protocol.js';
import type { AskInput } from '../../answer/answerer.js';
import { InvalidRequestError } from './errors.js';

export interface InputLimits {
  defaultTopK: number;
  maxTopK: number;
  maxQuestionChars: number;
}

const ASK_FIELDS = new Set(['question', 'topK', 'filter']);
const FILTER_FIELDS = new Set(['source']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function question(value: unknown, field: string, limits: InputLimits): string {
  if (typeof value !== 'string') throw new InvalidRequestError(`${field} must be a string, got ${value === undefined ? 'nothing' : typeof value}`);
  const trimmed = value.trim();
  if (!trimmed) throw new InvalidRequestError(`${field} must not be empty`);
  if (trimmed.length > limits.maxQuestionChars) throw new InvalidRequestError(`${field} must be at most ${limits.maxQuestionChars} characters, got ${trimmed.length}`);
  return trimmed;
}

function topK(value: unknown, field: string, limits: InputLimits): number {
  if (value === undefined) return limits.defaultTopK;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > limits.maxTopK) {
    throw new InvalidRequestError(`${field} must be an integer from 1 to ${limits.maxTopK}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function filter(value: unknown): SearchFilter | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw new InvalidRequestError('filter must be an object such as {"source": "leave/"}');
  const unknown = Object.keys(value).filter((key) => !FILTER_FIELDS.has(key));
  if (unknown.length) throw new InvalidRequestError(`filter has unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')}; the only one is "source"`);
  if (value.source === undefined) return undefined;
  if (typeof value.source !== 'string' || value.source.length > 500) throw new InvalidRequestError('filter.source must be a string (a path prefix such as "leave/") of at most 500 characters');
  return { source: value.source };
}

/** `POST /api/ask` body → AskInput, or a 400 naming the field and the rule. */
export function parseAskBody(body: unknown, limits: InputLimits): AskInput {
  if (!isRecord(body)) throw new InvalidRequestError('The body must be a JSON object such as {"question": "How many vacation days do I get?"}');
  const unknown = Object.keys(body).filter((key) => !ASK_FIELDS.has(key));
  if (unknown.length) throw new InvalidRequestError(`Unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')}; the fields are question, topK and filter`);
  const parsedFilter = filter(body.filter);
  return { question: question(body.question, 'question', limits), topK: topK(body.topK, 'topK', limits), ...(parsedFilter ? { filter: parsedFilter } : {}) };
}

/** `GET /api/search?q=&k=&source=` → its parts, or a 400. */
export function parseSearchQuery(query: Record<string, string | string[] | undefined>, limits: InputLimits): AskInput {
  const single = (name: string): string | undefined => {
    const value = query[name];
    if (Array.isArray(value)) throw new InvalidRequestError(`${name} must be given once`);
    return value;
  };
  const source = single('source');
  if (source !== undefined && source.length > 500) throw new InvalidRequestError('source must be a path prefix (such as "leave/") of at most 500 characters');
  return {
    question: question(single('q'), 'q', limits),
    topK: topK(single('k'), 'k', limits),
    ...(source ? { filter: { source } } : {}),
  };
}
