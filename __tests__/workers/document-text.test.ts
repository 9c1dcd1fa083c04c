import { describe, expect, it } from '@jest/globals';
import type { ChunkRecord } from '../../store/chunk-record.js';
import { documentText, GAP, MAX_DOCUMENT_CHARS } from '../../workers/document-text.js';

const CLEANED = 'Leave\n\nYou get 25 days of paid leave a year. Ask your manager first.\n\nSick leave\n\nTell your manager on the first morning you are ill.';

function chunk(source: string, start: number, end: number, prefix = ''): ChunkRecord {
  return { id: `${source}#${start}`, source, title: 'Leave', headings: [], start, end, text: prefix + CLEANED.slice(start, end), tokens: 1 };
}

describe('documentText', () => {
  it('merges overlapping chunks into the document text, in order, with offsets mapped', () => {
    const chunks = [chunk('a.md', 40, 120), chunk('other.md', 0, 10), chunk('a.md', 7, 60)];
    const doc = documentText(chunks, 'a.md')!;
    expect(doc.text).toBe(CLEANED.slice(7, 120));
    expect(doc.truncated).toBe(false);
    // A citation's span, as offsets into the cleaned document, maps back to the same words.
    const { start, end } = chunks[0]!;
    const segment = doc.segments.find((s) => start >= s.start && start < s.end)!;
    expect(doc.text.slice(segment.at + start - segment.start, segment.at + end - segment.start)).toBe(CLEANED.slice(start, end));
  });

  it('marks text no chunk holds as a gap and keeps later offsets right', () => {
    const doc = documentText([chunk('a.md', 7, 50), chunk('a.md', 80, 120)], 'a.md')!;
    expect(doc.text).toBe(CLEANED.slice(7, 50) + GAP + CLEANED.slice(80, 120));
    const second = doc.segments[1]!;
    expect(doc.text.slice(second.at, second.at + 40)).toBe(CLEANED.slice(80, 120));
  });

  it('skips a chunk inside another, and drops a table header row a chunk carries before its span', () => {
    const doc = documentText([chunk('a.md', 7, 120), chunk('a.md', 20, 40, '| Kind | Days |\n')], 'a.md')!;
    expect(doc.text).toBe(CLEANED.slice(7, 120));
    expect(doc.segments).toHaveLength(1);
  });

  it('is null for a source the index does not hold', () => {
    expect(documentText([chunk('a.md', 0, 10)], 'b.md')).toBeNull();
    expect(documentText([chunk('a.md', 0, 10)], 'a')).toBeNull();
  });

  it('cuts a document longer than one response to a window around the requested span', () => {
    const long = 'x'.repeat(MAX_DOCUMENT_CHARS * 2);
    const chunks: ChunkRecord[] = [];
    for (let at = 0; at < long.length; at += 1000) chunks.push({ id: String(at), source: 'big.md', title: 'Big', headings: [], start: at, end: at + 1000, text: long.slice(at, at + 1000), tokens: 1 });
    const around = { start: MAX_DOCUMENT_CHARS + 500, end: MAX_DOCUMENT_CHARS + 600 };
    const doc = documentText(chunks, 'big.md', around)!;
    expect(doc.truncated).toBe(true);
    expect(doc.text.length).toBe(MAX_DOCUMENT_CHARS);
    const holding = doc.segments.find((s) => around.start >= s.start && around.end <= s.end)!;
    expect(holding).toBeDefined();
    expect(holding.at + around.start - holding.start).toBeGreaterThan(0);
    expect(holding.at + around.end - holding.start).toBeLessThanOrEqual(doc.text.length);
    expect(documentText(chunks, 'big.md')!.segments[0]!.start).toBe(0);
  });
});
