import { CitationChecker } from './citations.js';

/**
 * The longest text held back while it may still become a citation marker, or while it is
 * whitespace that a removed marker or the final trim could take. Real markers are a few
 * characters (`[12, 14]`); past this, the held text is let through as prose, so a hostile `[`
 * followed by a flood of spaces costs nothing but the bound.
 */
export const MAX_HOLD_CHARS = 64;

/** A `[` and what may follow it inside a marker, to the end of the text: the marker is not closed yet. */
const OPEN_MARKER_TAIL = /^\[[\s\d,;\-\u2013]*$/;
const WHITESPACE = /\s/;

/**
 * Where the held-back tail of `text` starts: at an unclosed `[` that may still become a marker
 * (with the whitespace before it, which a removed marker takes along), or at the trailing
 * whitespace. Scans back from the end only as far as the bound, so each call is linear in the
 * new text at worst.
 */
function holdFrom(text: string): number {
  const floor = Math.max(0, text.length - MAX_HOLD_CHARS);
  let at = text.length;
  const bracket = text.lastIndexOf('[');
  if (bracket >= floor && OPEN_MARKER_TAIL.test(text.slice(bracket))) at = bracket;
  while (at > floor && WHITESPACE.test(text[at - 1]!)) at--;
  // The whole tail is whitespace or marker-like past the bound: let it through as text.
  if (at === floor && floor > 0) return text.length;
  return at;
}

/**
 * Citation checking for an answer that arrives in pieces: the text it lets through is, piece
 * for piece, what `checkCitations` makes of the whole answer (markers naming no passage removed,
 * the rest renumbered by first use, the ends trimmed), so a bogus marker never reaches a client
 * even when the LLM splits it across chunks. Linear in the length of the stream.
 */
export class CitationStream {
  private readonly checker: CitationChecker;
  /** Input not yet checked: a possible marker, or whitespace, at the end. */
  private held = '';
  /** Checked whitespace not yet sent: trailing whitespace is trimmed if the answer ends there. */
  private heldSpace = '';
  private started = false;

  constructor(passageCount: number) {
    this.checker = new CitationChecker(passageCount);
  }

  /** 0-based indexes of the passages cited so far, in the order of their new numbers. */
  get cited(): number[] {
    return this.checker.cited;
  }

  /** Numbers removed so far because they named no passage. */
  get removed(): number[] {
    return this.checker.removed;
  }

  /** Take the next piece of the answer; returns the text that is now safe to send (may be empty). */
  push(piece: string): string {
    const text = this.held + piece;
    const at = holdFrom(text);
    this.held = text.slice(at);
    return this.release(this.checker.check(text.slice(0, at)), false);
  }

  /** The answer ended: check and return whatever was held back. */
  end(): string {
    const text = this.held;
    this.held = '';
    return this.release(this.checker.check(text), true);
  }

  /** Send checked text, dropping leading whitespace and holding trailing whitespace until text follows it. */
  private release(checked: string, final: boolean): string {
    let text = this.heldSpace + checked;
    this.heldSpace = '';
    if (!this.started) {
      text = text.trimStart();
      if (!text) return '';
      this.started = true;
    }
    if (final) return text.trimEnd();
    const body = text.trimEnd();
    const space = text.slice(body.length);
    if (space.length > MAX_HOLD_CHARS) return text;
    this.heldSpace = space;
    return body;
  }
}
