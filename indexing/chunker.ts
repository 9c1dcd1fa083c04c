import { createHash } from 'node:crypto';
import type { ChunkRecord } from '../store/chunk-record.js';
import type { ChunkingParams } from '../store/manifest.js';
import { isTableRow } from '../text/table-rows.js';
import type { CleanDocument, Section } from './clean-text.js';

/** Anything that counts model tokens; the embedder's tokenizer in practice. */
export interface TokenCount {
  count(text: string): number;
}

interface Unit {
  start: number;
  end: number;
  tokens: number;
  /** For a row of a table below its header: the header row, repeated when a chunk starts at this row. */
  header?: TableHeader;
}

interface TableHeader {
  text: string;
  tokens: number;
}

/** Bump whenever cleaning or chunking output changes, so incremental builds do not reuse stale chunks. */
export const CHUNKER_REVISION = 8;

/** [CLS] and [SEP]: every embedded input carries both. */
const SPECIAL_TOKENS = 2;
/** Below this many tokens for the body, the heading trail is shortened, outermost heading first. */
const MIN_BODY_TOKENS = 32;

/** The text that is embedded for a chunk: its place in the document, then the passage itself. */
export function embeddingText(chunk: Pick<ChunkRecord, 'title' | 'headings' | 'text'>, withTrail = true): string {
  const trail = withTrail && chunk.headings.length ? ` — ${chunk.headings.join(' > ')}` : '';
  return `${chunk.title}${trail}\n${chunk.text}`;
}

export function chunkId(source: string, start: number, text: string): string {
  return createHash('sha256').update(`${source}\0${start}\0${text}`).digest('hex').slice(0, 16);
}

/**
 * Split a cleaned document into chunks that each fit the model's input with the title and
 * heading trail in front. Chunks follow sections: one never spans two headings. Inside a section,
 * lines are packed greedily; a line too long alone is split at sentences, then at words. Each
 * chunk after the first in a section starts with the last lines of the one before, up to
 * `overlapTokens`. A chunk that starts inside a table begins with the table's header row, so no
 * row is read without its column names: its text is then the header, a line break, and
 * `text.slice(start, end)` (the header sits before `start`).
 */
export function chunkDocument(doc: CleanDocument, source: string, params: ChunkingParams, counter: TokenCount): ChunkRecord[] {
  const chunks: ChunkRecord[] = [];
  for (const section of doc.sections) {
    let headings = section.headings;
    let prefixTokens = counter.count(embeddingText({ title: doc.title, headings, text: '' }));
    // A trail too long for the passage loses its outer headings first: the nearest says the most.
    while (headings.length && params.maxTokens - SPECIAL_TOKENS - prefixTokens < MIN_BODY_TOKENS) {
      headings = headings.slice(1);
      prefixTokens = counter.count(embeddingText({ title: doc.title, headings, text: '' }));
    }
    const budget = Math.max(params.maxTokens - SPECIAL_TOKENS - prefixTokens, 8);
    const units = splitSection(doc.text, section, budget, counter);
    for (const group of packUnits(units, budget, params.overlapTokens)) {
      const first = group[0]!;
      const last = group[group.length - 1]!;
      const body = doc.text.slice(first.start, last.end);
      const text = first.header ? `${first.header.text}\n${body}` : body;
      chunks.push({
        id: chunkId(source, first.start, text),
        source,
        title: doc.title,
        headings,
        start: first.start,
        end: last.end,
        text,
        tokens: SPECIAL_TOKENS + prefixTokens + groupTokens(group),
        ...(section.page !== undefined ? { page: section.page } : {}),
      });
    }
  }
  return chunks;
}

/** A group's body tokens: its units, and the header it repeats when it starts inside a table. */
function groupTokens(group: Unit[]): number {
  return group.reduce((sum, unit) => sum + unit.tokens, group[0]?.header?.tokens ?? 0);
}

const LIST_LINE = /^\s*([-*+]|\d+[.)])\s|\s\|\s/;
/**
 * A sentence runs to a stop that ends it: `.`, `!` or `?` (closing quotes and brackets included)
 * before whitespace or the end, or a CJK full stop, which needs no space after it. Anything else,
 * a dot in `people@example.com`, `1.67` or `Node.js` included, stays inside the sentence; the
 * last alternative takes whatever text remains, so no character falls between two matches.
 */
const SENTENCE = /[\s\S]*?(?:[.!?]+["'”’»)\]]*(?=\s|$)|[。！？]+[」』）”’]*|$)/g;
const WORD = /\S+/g;
/** Finer and finer ways to cut a span that does not fit; past the last, it is cut by characters. */
const SPLITS = [SENTENCE, WORD];

/**
 * Units to pack: table rows and list items whole, prose paragraphs by sentence (hard-wrapped
 * Markdown breaks lines mid-sentence, so lines are not units), anything too long by words.
 */
function splitSection(text: string, section: Section, budget: number, counter: TokenCount): Unit[] {
  const units: Unit[] = [];
  for (const paragraph of spans(text, section.start, section.end, /[^\n]+(?:\n(?![ \t]*\n)[^\n]*)*/g)) {
    const body = text.slice(paragraph.start, paragraph.end);
    if (isTableRow(body.split('\n', 1)[0] ?? '')) {
      units.push(...tableRows(text, paragraph, budget, counter));
      continue;
    }
    const pieces = body.split('\n').some((line) => LIST_LINE.test(line))
      ? listItems(text, paragraph)
      : spans(text, paragraph.start, paragraph.end, SENTENCE);
    for (const piece of pieces) units.push(...fit(text, piece, budget, counter));
  }
  return units;
}

/**
 * A table's rows, each a unit that carries the header row (the table's first line) to repeat. A
 * row is split only when it does not fit with its header; a header over half the budget is not
 * repeated, since it would leave too little room for rows.
 */
function tableRows(text: string, table: { start: number; end: number }, budget: number, counter: TokenCount): Unit[] {
  const [first, ...rows] = spans(text, table.start, table.end, /[^\n]+/g);
  const headerText = text.slice(first!.start, first!.end);
  const headerTokens = counter.count(headerText);
  const header = headerTokens <= budget / 2 ? { text: headerText, tokens: headerTokens } : undefined;
  const units = fit(text, first!, budget, counter);
  for (const row of rows) units.push(...fit(text, row, budget - (header?.tokens ?? 0), counter).map((unit) => (header ? { ...unit, header } : unit)));
  return units;
}

/** Items of a list or rows of a table: a line that does not start an item continues the one before. */
function listItems(text: string, paragraph: { start: number; end: number }): { start: number; end: number }[] {
  const items: { start: number; end: number }[] = [];
  for (const line of spans(text, paragraph.start, paragraph.end, /[^\n]+/g)) {
    const last = items[items.length - 1];
    if (last && !LIST_LINE.test(text.slice(line.start, line.end))) last.end = line.end;
    else items.push({ ...line });
  }
  return items;
}

/** A span that fits the budget, or its sentences, or its words, or, for one over-long word, its characters. */
function fit(text: string, span: { start: number; end: number }, budget: number, counter: TokenCount, depth = 0): Unit[] {
  const tokens = counter.count(text.slice(span.start, span.end));
  if (tokens <= budget) return [{ ...span, tokens }];
  for (let d = depth; d < SPLITS.length; d++) {
    const pieces = spans(text, span.start, span.end, SPLITS[d]!);
    if (pieces.length > 1) return pieces.flatMap((piece) => fit(text, piece, budget, counter, d + 1));
  }
  return cutByCharacters(text, span, budget, counter);
}

/**
 * The last resort for a run with no space in it (a long URL, CJK without stops): the longest
 * prefixes that fit, found by bisection, each at least one character, none ending inside a
 * surrogate pair.
 */
function cutByCharacters(text: string, span: { start: number; end: number }, budget: number, counter: TokenCount): Unit[] {
  const units: Unit[] = [];
  let start = span.start;
  while (start < span.end) {
    let low = start + 1;
    let high = span.end;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (counter.count(text.slice(start, mid)) <= budget) low = mid;
      else high = mid - 1;
    }
    const code = text.charCodeAt(low - 1);
    if (code >= 0xd800 && code <= 0xdbff && low < span.end) low += low - 1 > start ? -1 : 1;
    units.push({ start, end: low, tokens: counter.count(text.slice(start, low)) });
    start = low;
  }
  return units;
}

/** Trimmed, non-empty matches of `pattern` within text[start, end). */
function spans(text: string, start: number, end: number, pattern: RegExp): { start: number; end: number }[] {
  const slice = text.slice(start, end);
  const found: { start: number; end: number }[] = [];
  for (const match of slice.matchAll(new RegExp(pattern.source, 'g'))) {
    const raw = match[0];
    const lead = raw.length - raw.trimStart().length;
    const trimmed = raw.trim();
    if (!trimmed) continue;
    const from = start + (match.index ?? 0) + lead;
    found.push({ start: from, end: from + trimmed.length });
  }
  return found;
}

/** Greedy packing with overlap; each group's tokens stay within the budget. */
function packUnits(units: Unit[], budget: number, overlapTokens: number): Unit[][] {
  const groups: Unit[][] = [];
  let current: Unit[] = [];
  let tokens = 0;
  let fresh = 0;
  for (const unit of units) {
    if (current.length && tokens + unit.tokens > budget) {
      groups.push(current);
      const carried = overlapTail(current, unit, overlapTokens, budget);
      current = carried;
      tokens = groupTokens(carried);
      fresh = 0;
    }
    if (current.length === 0) tokens = unit.header?.tokens ?? 0;
    current.push(unit);
    tokens += unit.tokens;
    fresh++;
  }
  if (current.length && fresh > 0) groups.push(current);
  return groups;
}

/** The last units of `group` (never all of it) to repeat before `next`: at most `limit` tokens, and the new group must fit. */
function overlapTail(group: Unit[], next: Unit, limit: number, budget: number): Unit[] {
  const tail: Unit[] = [];
  let tokens = 0;
  for (let i = group.length - 1; i > 0; i--) {
    const unit = group[i]!;
    if (tokens + unit.tokens > limit || groupTokens([unit, ...tail, next]) > budget) break;
    tail.unshift(unit);
    tokens += unit.tokens;
  }
  return tail;
}

/**
 * A stand-in for a tokenizer when none can be loaded (lexical-only builds offline): word pieces
 * average a little over one per English word, so words times 1.3 errs on the long side.
 */
export function approximateTokenCounter(maxTokens: number): TokenCount & { maxTokens: number } {
  return { maxTokens, count: (text) => Math.ceil((text.match(/\w+|[^\s\w]/g)?.length ?? 0) * 1.3) };
}
