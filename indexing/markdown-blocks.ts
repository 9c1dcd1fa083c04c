import { formatTableRow, tableCells } from '../text/table-rows.js';

const FENCE = /^[ \t]*(```|~~~)/;
const ATX_HEADING = /^#{1,6}[ \t]/;
const LIST_ITEM = /^[ \t]*([-*+]|\d+[.)])[ \t]+\S/;
/** A trimmed `| --- | :-: |`, with or without outer pipes; no two parts can match the same spaces, so it runs in linear time. */
const TABLE_RULE = /^\|?[ \t]*:?-{2,}:?(?:[ \t]*\|[ \t]*:?-{2,}:?)*[ \t]*\|?$/;

/** Whether a line is a table's rule row (`| --- | :-: |`). */
export function isTableRule(line: string): boolean {
  return TABLE_RULE.test(line.trim());
}
const HORIZONTAL_RULE = /^[ \t]*([-*_])([ \t]*\1){2,}[ \t]*$/;
const LINK_DEFINITION = /^[ \t]*\[[^\]]+\]:[ \t]*\S+/;
const ATTRIBUTE_LINE = /^[ \t]*\{:.*\}[ \t]*$/;
const SETEXT_UNDERLINE = /^[ \t]*(=+|-+)[ \t]*$/;
const OUTER_PIPES = /^[ \t]*\|.*\|[ \t]*$/;
/** Two trailing spaces or a backslash: a Markdown hard break, the one line break a paragraph keeps. */
const QUOTE_MARKS = /^[ \t]*(>[ \t]?)+/;

/** Lines that are never part of a paragraph: each stands alone and ends the paragraph before it. */
/** Two trailing spaces or a backslash: a Markdown hard break. By string tests: an unanchored regex for it retried every blank of a long run (quadratic). */
function endsInHardBreak(line: string): boolean {
  return line.endsWith('\\') || line.endsWith('  ');
}

function standsAlone(line: string): boolean {
  return ATX_HEADING.test(line.trimStart()) || HORIZONTAL_RULE.test(line) || LINK_DEFINITION.test(line) || ATTRIBUTE_LINE.test(line) || SETEXT_UNDERLINE.test(line);
}

/** A table starts at a row with pipes over a rule line (GFM), or at a line with outer pipes. */
function startsTable(line: string, next: string | undefined): boolean {
  return !isTableRule(line) && ((line.includes('|') && next !== undefined && isTableRule(next)) || OUTER_PIPES.test(line));
}

/**
 * Markdown lines regrouped by block: the lines of a paragraph or list item, hard-wrapped in the
 * source, joined with a space (a soft break is only a space when rendered, and a sentence must not
 * be cut at one); a hard break keeps its line break. Headings, fences and their code, blank lines
 * and the lines the cleaner drops pass as they are; a table's rows are rewritten in the cleaned
 * row shape (`| a | b |`, rule line gone) with a blank line before and after. Quote marks go.
 */
export function markdownBlocks(source: string[]): string[] {
  const out: string[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length) out.push(paragraph.join(' '));
    paragraph = [];
  };
  for (let i = 0; i < source.length; i++) {
    const raw = source[i]!;
    if (FENCE.test(raw)) {
      flush();
      let end = i + 1;
      while (end < source.length && !FENCE.test(source[end]!)) end++;
      end = Math.min(source.length, end + 1);
      out.push(...source.slice(i, end));
      i = end - 1;
      continue;
    }
    const line = raw.replace(QUOTE_MARKS, '');
    if (startsTable(line, source[i + 1]?.replace(QUOTE_MARKS, ''))) {
      flush();
      i = table(source, i, out) - 1;
      continue;
    }
    if (!line.trim() || standsAlone(line)) {
      flush();
      out.push(line);
      continue;
    }
    if (LIST_ITEM.test(line)) flush();
    paragraph.push(paragraph.length ? line.trim() : line);
    if (endsInHardBreak(line)) {
      paragraph[paragraph.length - 1] = paragraph[paragraph.length - 1]!.replace(/\\$/, '').trimEnd();
      flush();
    }
  }
  flush();
  return out;
}

/** Rewrite the table starting at `from` into `out`; returns the index of the first line after it. */
function table(source: string[], from: number, out: string[]): number {
  out.push('');
  let i = from;
  for (; i < source.length; i++) {
    const line = source[i]!.replace(QUOTE_MARKS, '');
    if (!line.trim() || !line.includes('|') || FENCE.test(line) || ATX_HEADING.test(line.trimStart())) break;
    if (i > from && isTableRule(line)) continue;
    out.push(formatTableRow(tableCells(line)));
  }
  out.push('');
  return i;
}
