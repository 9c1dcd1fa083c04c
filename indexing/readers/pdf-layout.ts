/**
 * A PDF page's text items (as pdf.js gives them: strings placed on the page) rebuilt into lines
 * and paragraphs. Pure functions of the items, one pass each, so they are tested without pdf.js.
 */

/** The part of a pdf.js `TextItem` the layout reads. */
export interface PlacedText {
  str: string;
  /** [a, b, c, d, x, y]: the text matrix; the length of (c, d) is the font size. */
  transform: number[];
  width: number;
  height: number;
  /** pdf.js sets this where the content stream ends a line. */
  hasEOL: boolean;
}

interface Line {
  y: number;
  size: number;
  text: string;
}

/** Horizontal gap, in font sizes, above which two items on a line are separate words. */
const WORD_GAP = 0.2;
/** Vertical step, in font sizes, above which a line starts a new paragraph (ordinary leading is about 1.2). */
const PARAGRAPH_GAP = 1.6;

function fontSize(item: PlacedText): number {
  const [, , c = 0, d = 0] = item.transform;
  return Math.max(Math.hypot(c, d), item.height, 1);
}

/** Items in content order, grouped into lines: a new line at `hasEOL` or where the baseline moves by half a font size. */
export function pageLines(items: PlacedText[]): Line[] {
  const lines: Line[] = [];
  let parts: string[] = [];
  let current: { y: number; size: number; endX: number } | undefined;
  const flush = () => {
    const text = parts.join('').replace(/\s+/g, ' ').trim();
    if (current && text) lines.push({ y: current.y, size: current.size, text });
    parts = [];
    current = undefined;
  };
  for (const item of items) {
    const x = item.transform[4] ?? 0;
    const y = item.transform[5] ?? 0;
    const size = fontSize(item);
    if (current && item.str && Math.abs(y - current.y) > size / 2) flush();
    if (!current) current = { y, size, endX: x };
    else if (item.str && x - current.endX > size * WORD_GAP && !/\s$/.test(parts[parts.length - 1] ?? ' ') && !/^\s/.test(item.str)) parts.push(' ');
    if (item.str) {
      parts.push(item.str);
      current.endX = x + item.width;
      current.size = Math.max(current.size, size);
    }
    if (item.hasEOL) flush();
  }
  flush();
  return lines;
}

/**
 * Two lines of one paragraph joined by a space, except at a hyphen after a letter: a word
 * broken there ("infor-" + "mation") is joined whole when the next line goes on in lower case,
 * and a compound ("Self-" + "Service") keeps its hyphen, with no space after it.
 */
function joinLines(before: string, after: string): string {
  if (before.endsWith('\u00ad')) return before.slice(0, -1) + after;
  if (/\p{L}-$/u.test(before)) return /^\p{Ll}/u.test(after) ? before.slice(0, -1) + after : before + after;
  return `${before} ${after}`;
}

/** A page's text: lines of a paragraph joined, paragraphs apart by a blank line. */
export function pageText(items: PlacedText[]): string {
  const paragraphs: string[] = [];
  let paragraph = '';
  let previous: Line | undefined;
  for (const line of pageLines(items)) {
    const step = previous ? previous.y - line.y : 0;
    const newParagraph = !previous || step <= 0 || step > PARAGRAPH_GAP * Math.max(previous.size, line.size);
    if (newParagraph) {
      if (paragraph) paragraphs.push(paragraph);
      paragraph = line.text;
    } else paragraph = joinLines(paragraph, line.text);
    previous = line;
  }
  if (paragraph) paragraphs.push(paragraph);
  // Dot leaders shrink to three, as the cleaner does for every format (see cleanDocument).
  return paragraphs.join('\n\n').replace(/[.!?]{4,}/g, (run) => run.slice(0, 3));
}
