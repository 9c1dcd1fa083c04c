/**
 * `[1]`, `[2, 3]`, `[1; 4]`, `[1-3]`, `[2,]`: bracketed numbers, lists and ranges. Whatever the
 * form, every number inside is checked. Only spaces and tabs before a marker go with it, so a
 * removed marker never joins two paragraphs. The lookbehind starts a match only where a run of
 * blanks starts: without it, a long run in an LLM reply was retried from every position (quadratic).
 */
const MARKER = /(?<![ \t])([ \t]*)\[(\s*\d+(?:\s*[-\u2013]\s*\d+)?(?:\s*[,;]\s*\d+(?:\s*[-\u2013]\s*\d+)?)*\s*[,;]?\s*)\]/g;
/** A longer range is not a citation anyone means; its numbers count as bogus. */
const MAX_RANGE = 20;

function numbersIn(list: string): number[] {
  return list
    .split(/[,;]/)
    .map((part) => part.trim())
    .filter(Boolean)
    .flatMap((part) => {
      const [from, to] = part.split(/\s*[-\u2013]\s*/).map(Number) as [number, number | undefined];
      if (to === undefined) return [from];
      if (to < from || to - from > MAX_RANGE) return [from, to].map(() => Number.NaN);
      return Array.from({ length: to - from + 1 }, (_, i) => from + i);
    });
}

export interface CheckedCitations {
  /** The answer with bogus markers removed and the rest renumbered 1, 2, 3… in order of first use. */
  text: string;
  /** For each new number n, the 0-based index of the passage it names: `passages[cited[n - 1]]`. */
  cited: number[];
  /** Markers (numbers) that named no retrieved passage and were removed. */
  removed: number[];
}

/**
 * Checks markers against the passages, remembering across calls which passages were cited so a
 * streamed answer is renumbered as it would be whole. `check` replaces the complete markers in a
 * piece of text; the caller decides where pieces end (see citation-stream.ts).
 */
export class CitationChecker {
  private readonly renumber = new Map<number, number>();
  readonly cited: number[] = [];
  readonly removed: number[] = [];

  constructor(private readonly passageCount: number) {}

  check(text: string): string {
    return text.replace(MARKER, (_whole, space: string, list: string) => {
      const kept: number[] = [];
      for (const n of numbersIn(list)) {
        if (!Number.isInteger(n) || n < 1 || n > this.passageCount) {
          this.removed.push(n);
          continue;
        }
        if (!this.renumber.has(n)) {
          this.renumber.set(n, this.cited.length + 1);
          this.cited.push(n - 1);
        }
        const renumbered = this.renumber.get(n)!;
        if (!kept.includes(renumbered)) kept.push(renumbered);
      }
      return kept.length ? `${space}[${kept.join(', ')}]` : '';
    });
  }
}

/**
 * Check an answer's citations against the passages it was given. A number that names no passage
 * is removed; the passages actually cited are renumbered in order of first citation, so the
 * answer's `[n]` always matches `citations[n - 1]`.
 */
export function checkCitations(answer: string, passageCount: number): CheckedCitations {
  const checker = new CitationChecker(passageCount);
  const text = checker.check(answer);
  // A removed marker takes its leading space with it ("moon [9]." → "moon."); nothing else is touched.
  return { text: text.trim(), cited: checker.cited, removed: checker.removed };
}
