import type { ChunkRecord } from '../store/chunk-record.js';
import type { ChunkStore } from '../store/chunk-store.js';
import type { DocumentOutput } from './protocol.js';

/** The most text one document request returns; a span is cut around its highlight to fit. */
export const MAX_DOCUMENT_CHARS = 200_000;

/** What a gap between two chunks' spans is shown as (headings, front matter or blank lines the index did not keep). */
export const GAP = '\n\n';

/**
 * A document's cleaned text as its chunks hold it, in order, with the offsets of the cleaned text
 * kept: `text.slice(span.start - offset, span.end - offset)` is a citation's passage. Overlapping
 * chunks are merged; text between chunks that no chunk holds is shown as {@link GAP}, so offsets
 * after a gap are mapped through `segments`. Linear in the document's chunks.
 */
export function documentText(chunks: readonly ChunkRecord[] | ChunkStore, source: string, around?: { start: number; end: number }): DocumentOutput | null {
  // From the store, only this document's records are read (its rows are consecutive).
  const own = ('ofSource' in chunks ? chunks.ofSource(source) : chunks.filter((chunk) => chunk.source === source)).sort((a, b) => a.start - b.start);
  const first = own[0];
  if (!first) return null;
  const segments: DocumentOutput['segments'] = [];
  let text = '';
  let covered = first.start;
  for (const chunk of own) {
    // A chunk that starts inside a table carries the table's header row before its own span; only the span counts.
    const body = chunk.text.slice(Math.max(0, chunk.text.length - (chunk.end - chunk.start)));
    if (segments.length && chunk.end <= covered) continue;
    if (segments.length && chunk.start > covered) text += GAP;
    const from = Math.max(chunk.start, covered);
    segments.push({ start: from, end: chunk.end, at: text.length });
    text += body.slice(from - chunk.start);
    covered = chunk.end;
  }
  const whole: DocumentOutput = { source, title: first.title, text, segments, truncated: false };
  return whole.text.length <= MAX_DOCUMENT_CHARS ? whole : window(whole, around);
}

/** Where offset `at` of the cleaned document sits in the returned text, or -1 when no segment holds it. */
function positionOf(output: Pick<DocumentOutput, 'segments'>, at: number): number {
  for (const segment of output.segments) if (at >= segment.start && at <= segment.end) return segment.at + (at - segment.start);
  return -1;
}

/** A long document cut to MAX_DOCUMENT_CHARS around the highlight (or from its start). */
function window(whole: DocumentOutput, around?: { start: number; end: number }): DocumentOutput {
  const centre = around ? Math.max(0, positionOf(whole, around.start)) : 0;
  const from = Math.max(0, Math.min(centre - MAX_DOCUMENT_CHARS / 2, whole.text.length - MAX_DOCUMENT_CHARS));
  const to = from + MAX_DOCUMENT_CHARS;
  const segments = whole.segments
    .filter((s) => s.at + (s.end - s.start) > from && s.at < to)
    .map((s) => {
      const cut = Math.max(0, from - s.at);
      const length = Math.min(s.end - s.start - cut, to - Math.max(s.at, from));
      return { start: s.start + cut, end: s.start + cut + length, at: Math.max(s.at, from) - from };
    });
  return { ...whole, text: whole.text.slice(from, to), segments, truncated: true };
}
