import { isTableRow, rowWithHeaders, tableCells } from './table-rows.js';
import { words } from './terms.js';

/**
 * Revision of `quotables`: bump it with any change to which sentences it returns or their text. An
 * index's stored sentence vectors (store/sentence-vectors.ts) name the revision they were split with,
 * and a server whose revision differs embeds the sentences at question time instead.
 */
export const SENTENCE_SPLITTER_REVISION = 1;

/** Shorter pieces are not worth quoting. */
const MIN_WORDS = 4;
const NUMBERED_ITEM = /^\s*(\d+)[.)]\s+/;

/** A sentence an extractive answer may quote, and the numbered list it is a step of, if any. */
export interface Quotable {
  text: string;
  /** For a sentence of a numbered list's item: which list of the passage (0, 1, ...) and all its items' text, short ones too. */
  step?: { list: number; items: string[] };
}

/**
 * The sentences of a passage that an extractive answer may quote: lines first (lists, headings),
 * then sentence ends followed by a capital, digit or quote. List markers and the passage's own
 * bracketed footnote numbers go. A table row (`| a | b |`, the first row of a run being the
 * header) reads as "header: cell; header: cell"; a line of bare cells reads "cell, cell". Shared
 * by the answer side, which picks among them, and the worker, which scores them by meaning.
 */
export function quotableSentences(text: string): string[] {
  return quotables(text).map((q) => q.text);
}

/** As `quotableSentences`, with each sentence's place in a numbered list. */
export function quotables(text: string): Quotable[] {
  const found: Quotable[] = [];
  const lines = text.split('\n');
  const lists: string[][] = [];
  let inList = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (isTableRow(line)) {
      const end = tableEnd(lines, i);
      found.push(...tableSentences(lines.slice(i, end)));
      i = end - 1;
      inList = false;
      continue;
    }
    if (!line.trim()) continue;
    const numbered = NUMBERED_ITEM.test(line);
    if (numbered && !inList) lists.push([]);
    inList = numbered;
    if (numbered) lists[lists.length - 1]!.push(clean(line));
    const step = numbered ? { list: lists.length - 1, items: lists[lists.length - 1]! } : undefined;
    for (const sentence of line.split(/(?<=[.!?])\s+(?=["'(\u201c]?[A-Z0-9])/).map(clean)) {
      if (words(sentence).length >= MIN_WORDS) found.push({ text: sentence, ...(step ? { step } : {}) });
    }
  }
  return found;
}

function tableEnd(lines: string[], from: number): number {
  let end = from;
  while (end < lines.length && isTableRow(lines[end]!)) end++;
  return end;
}

/** Data rows with their column names; a header alone is quoted as its cells. */
function tableSentences(rows: string[]): Quotable[] {
  // A Markdown rule row (`|---|---|`) is no data: only passages not from our cleaner still hold one.
  const [header, ...data] = rows.map(tableCells).filter((cells) => !cells.every((cell) => /^:?-*:?$/.test(cell)));
  if (!header) return [];
  const sentences = data.length ? data.map((cells) => rowWithHeaders(header, cells.map(clean))) : [header.filter(Boolean).join(', ')];
  return sentences.filter((s) => words(s).length >= MIN_WORDS).map((s) => ({ text: s }));
}

/** A list marker and the passage's own bracketed numbers go; a line of bare cells reads "cell, cell". */
function clean(sentence: string): string {
  // A passage's own bracketed numbers (footnotes) must not pass for our citation markers.
  const text = sentence.replace(/^\s*(?:[-*+]|\d+[.)])\s+/, '').replace(/\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]/g, '').trim();
  return bareCells(text);
}

/** A line of cells without outer pipes (an HTML table with no header) reads as "cell, cell, cell"; separator rows vanish. */
function bareCells(line: string): string {
  if (!line.includes(' | ') && !/^\|.*\|$/.test(line)) return line;
  return line
    .replace(/^\||(?<!\\)\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim())
    .filter((cell) => cell && !/^:?-+:?$/.test(cell))
    .join(', ');
}
