import { words } from './terms.js';

/** Shorter pieces are not worth quoting. */
const MIN_WORDS = 4;

/**
 * The sentences of a passage that an extractive answer may quote: lines first (lists, headings),
 * then sentence ends followed by a capital, digit or quote. List markers and the passage's own
 * bracketed footnote numbers go; a Markdown table row reads "cell, cell, cell". Shared by the
 * answer side, which picks among them, and the worker, which scores them by meaning.
 */
export function quotableSentences(text: string): string[] {
  return text
    .split(/\n+/)
    .flatMap((line) => line.split(/(?<=[.!?])\s+(?=["'(\u201c]?[A-Z0-9])/))
    // A passage's own bracketed numbers (footnotes) must not pass for our citation markers.
    .map((s) => s.replace(/^\s*(?:[-*+]|\d+[.)])\s+/, '').replace(/\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]/g, '').trim())
    .map(tableRow)
    .filter((s) => words(s).length >= MIN_WORDS);
}

/** A Markdown table row reads as "cell, cell, cell"; separator rows vanish. */
function tableRow(line: string): string {
  if (!line.includes(' | ') && !/^\|.*\|$/.test(line)) return line;
  return line
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((cell) => cell.trim())
    .filter((cell) => cell && !/^:?-+:?$/.test(cell))
    .join(', ');
}
