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

/**
 * A table starts at a row with pipes over a rule line with as many cells (GFM: a header and its
 * delimiter row must match, or there is no table), or at a line with outer pipes that no rule
 * line follows. "Input | Output" over `---` is a setext heading, and so is `| a | b |` over a
 * rule of one cell.
 */
function startsTable(line: string, next: string | undefined): boolean {
  if (isTableRule(line) || !line.includes('|')) return false;
  if (next !== undefined && (isTableRule(next) || SETEXT_UNDERLINE.test(next))) return isTableRule(next) && tableCells(next).length === tableCells(line).length;
  return OUTER_PIPES.test(line);
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
    const line = raw.replace(QUOTE_MARKS, '');
    // A fence in a block quote (`> ````) is a fence too: its code is never a table or a paragraph.
    // Only there do its lines lose their quote marks; in a plain fence, `>>>>` is code.
    if (FENCE.test(line)) {
      flush();
      const code = line === raw ? (at: number) => source[at]! : (at: number) => source[at]!.replace(QUOTE_MARKS, '');
      let end = i + 1;
      while (end < source.length && !FENCE.test(code(end))) end++;
      end = Math.min(source.length, end + 1);
      for (let at = i; at < end; at++) out.push(code(at));
      i = end - 1;
      continue;
    }
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
    // The delimiter row of a one-column table may have no pipe (`---`); after it, a line without one ends the table.
    if (i === from + 1 && isTableRule(line)) continue;
    if (!line.trim() || !line.includes('|') || FENCE.test(line) || ATX_HEADING.test(line.trimStart())) break;
    if (i > from && isTableRule(line)) continue;
    out.push(formatTableRow(tableCells(line)));
  }
  out.push('');
  return i;
}
