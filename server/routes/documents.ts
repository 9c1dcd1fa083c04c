import type { Context } from 'koa';
import { z } from 'zod';
import type { DocumentOutput } from '../../workers/protocol.js';
import { ApiError, InvalidRequestError } from '../http/errors.js';
import type { WorkerGate } from '../worker-gate/worker-gate.js';
import { sendJson } from '../http/json-body.js';

/** A document as `GET /api/documents/:source` returns it; `highlight` is where the cited span sits in `text`. */
export interface DocumentResponse {
  source: string;
  title: string;
  text: string;
  highlight: { start: number; end: number } | null;
  /** The document is longer than one response: `text` is a window around the highlight. */
  truncated: boolean;
}

const offset = z.coerce.number().int().min(0).max(1e9);
const spanQuery = z
  .object({ start: offset.optional(), end: offset.optional() })
  .refine((q) => (q.start === undefined) === (q.end === undefined), 'start and end go together')
  .refine((q) => q.start === undefined || q.end === undefined || q.start <= q.end, 'start must not be after end');
/** A source path as the index records it: relative, forward slashes, printable. */
const sourcePath = z
  .string()
  .min(1)
  .max(500)
  .refine((s) => ![...s].some((c) => c < ' ' || c === '\u007f'), 'no control characters');

/** Where a span of the cleaned document sits in the returned text; null when the text does not hold it. */
function highlightOf(doc: DocumentOutput, span: { start: number; end: number }): DocumentResponse['highlight'] {
  const at = (offset: number, side: 'start' | 'end') => {
    // A span's end may be a later segment's start: read ends from the segment they close.
    const segment = doc.segments.find((s) => (side === 'start' ? offset >= s.start && offset < s.end : offset > s.start && offset <= s.end));
    return segment ? segment.at + offset - segment.start : -1;
  };
  const start = at(span.start, 'start');
  const end = at(span.end, 'end');
  return start >= 0 && end >= start ? { start, end } : null;
}

/**
 * `GET /api/documents/:source?start=&end=`: a document's text as the index holds it, so a client
 * can show a citation (`source`, `start`, `end` as the answer gave them) in context.
 */
export function documentHandler(gate: Pick<WorkerGate, 'document'>) {
  return async (ctx: Context & { params?: Record<string, string | undefined> }): Promise<void> => {
    const source = sourcePath.safeParse(ctx.params?.source);
    if (!source.success) throw new InvalidRequestError('source must be a document path of 1 to 500 printable characters, as a citation gives it');
    const query = spanQuery.safeParse({ start: single(ctx.query.start), end: single(ctx.query.end) });
    if (!query.success) throw new InvalidRequestError(`start and end must be offsets from a citation, given together: ${query.error.issues[0]?.message ?? 'invalid'}`);
    const span = query.data.start !== undefined && query.data.end !== undefined ? { start: query.data.start, end: query.data.end } : undefined;
    const { value } = await gate.document(source.data, span);
    if (!value) throw new ApiError(404, 'DOCUMENT_NOT_FOUND', 'No document with that source is in the index; use the source a citation or search result gives');
    const body: DocumentResponse = { source: value.source, title: value.title, text: value.text, highlight: span ? highlightOf(value, span) : null, truncated: value.truncated };
    sendJson(ctx, body);
  };
}

function single(value: string | string[] | undefined): string | undefined {
  if (Array.isArray(value)) throw new InvalidRequestError('start and end must each be given once');
  return value;
}
