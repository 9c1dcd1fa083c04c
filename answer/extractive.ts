import type { SearchHit } from '../workers/protocol.js';
import { quotables, type Quotable } from '../text/sentences.js';
import { contentStems, stemSet, words } from '../text/terms.js';

interface Candidate {
  passage: number;
  position: number;
  text: string;
  score: number;
  step?: Quotable['step'];
}

const MAX_SENTENCES = 3;
const MAX_PER_PASSAGE = 2;
const MAX_CHARS = 400;

/** "How long/many/much…", "when…": the answer is a number or a date, so sentences with digits rank higher. */
const WANTS_NUMBER = /^\s*(how (long|many|much|soon|often|far)|when|what (date|time|percentage|amount))\b/i;
/** "How do I…", "what are the steps…": the answer is a procedure, so a matching step brings its whole list. */
const WANTS_STEPS = /^\s*(how (do|does|can|should|would|to)\b|what (are|is) the (steps|process|procedure)\b|what steps\b)/i;
/** A list longer than this is no quotable unit: the matching step alone is quoted. */
const MAX_STEPS = 8;
const MAX_STEPS_CHARS = 700;

/** Long sentences are cut at a word; list items get the full stop they lack. */
function clip(sentence: string): string {
  if (sentence.length > MAX_CHARS) {
    const cut = sentence.slice(0, MAX_CHARS);
    return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), MAX_CHARS / 2))}…`;
  }
  return /[.!?…:;]["'”)]?$/.test(sentence) ? sentence : `${sentence}.`;
}

/** Sentences' cosine with the question (from the worker, keyed by sentence text), and how much it counts. */
export interface SentenceMeaning {
  similarity: Record<string, number>;
  weight: number;
}

/**
 * How sentences are picked, beyond their own words and meaning; `eval/experiments/` fits these
 * leaving one corpus out. `rankBonus / (1 + rank)` favours better-ranked passages; `passageCoverage`
 * times the share of the question's words found in the passage (its title and headings included)
 * favours sentences of a passage that is about the question as a whole; `perPassage` caps how many
 * of the (at most three) sentences come from one passage.
 */
export interface ExtractiveTuning {
  rankBonus: number;
  passageCoverage: number;
  perPassage: number;
  /**
   * A sentence gains this share of the score of the sentence just before it in its passage (and,
   * with `neighbourBoth`, of the one just after): the fact often follows the sentence that names
   * the topic ("You do not need a doctor's note for short absences. We ask for one only when…").
   * A sentence sharing neither a word nor any meaning with the question is still never added.
   */
  neighbour: number;
  neighbourBoth: boolean;
}

export const DEFAULT_EXTRACTIVE_TUNING: Readonly<ExtractiveTuning> = Object.freeze({ rankBonus: 0.05, passageCoverage: 0, perPassage: MAX_PER_PASSAGE, neighbour: 0, neighbourBoth: false });

/**
 * An answer made of the passages' own sentences: those sharing the most (rarer) words with the
 * question, and with `meaning` those closest to it in meaning too, at most three, each followed
 * by the `[n]` of its passage. Used when no LLM is configured or the LLM fails, so every claim is
 * a quotation.
 */
export function extractiveAnswer(question: string, passages: SearchHit[], meaning?: SentenceMeaning, tuning: Readonly<ExtractiveTuning> = DEFAULT_EXTRACTIVE_TUNING): string {
  const wanted = contentStems(question);
  const wantsNumber = WANTS_NUMBER.test(question);
  const candidates: Candidate[] = passages.flatMap((hit, passage) => quotables(hit.text).map(({ text, step }, position) => ({ passage, position, text, score: 0, ...(step ? { step } : {}) })));
  // Passages too short to hold a sentence of four words: quote the best one whole.
  if (candidates.length === 0) return passages[0] ? `${clip(passages[0].text.replace(/\s+/g, ' ').trim())} [1]` : '';
  const stemsOf = candidates.map((c) => stemSet(c.text));
  const documentFrequency = new Map<string, number>();
  for (const stems of stemsOf) for (const s of wanted) if (stems.has(s)) documentFrequency.set(s, (documentFrequency.get(s) ?? 0) + 1);
  const coverage = tuning.passageCoverage > 0 ? passages.map((hit) => passageCoverage(wanted, hit)) : [];
  const relevance: number[] = [];
  candidates.forEach((candidate, i) => {
    let matched = 0;
    for (const s of wanted) if (stemsOf[i]!.has(s)) matched += Math.log(1 + candidates.length / documentFrequency.get(s)!);
    // Do not reward sheer length.
    const numeric = wantsNumber && matched > 0 && /\d/.test(candidate.text) ? 1.5 : 1;
    let own = (numeric * matched) / Math.sqrt(1 + Math.log(1 + words(candidate.text).length));
    // A paraphrase shares meaning but few words: "picked for a jury" against "jury service".
    if (meaning) own += meaning.weight * Math.max(0, meaning.similarity[candidate.text] ?? 0);
    relevance[i] = own;
    // Prefer better-ranked passages, and passages about the whole question.
    candidate.score = own + tuning.rankBonus / (1 + candidate.passage) + tuning.passageCoverage * (coverage[candidate.passage] ?? 0);
  });
  if (tuning.neighbour > 0) {
    const next = (i: number) => candidates[i + 1]?.passage === candidates[i]!.passage;
    candidates.forEach((candidate, i) => {
      if (i > 0 && next(i - 1)) candidate.score += tuning.neighbour * relevance[i - 1]!;
      if (tuning.neighbourBoth && next(i)) candidate.score += tuning.neighbour * relevance[i + 1]!;
    });
  }
  const order = candidates.map((_, i) => i).sort((a, b) => candidates[b]!.score - candidates[a]!.score);
  const chosen: Candidate[] = [];
  const perPassage = new Map<number, number>();
  for (const i of order) {
    const candidate = candidates[i]!;
    if (chosen.length === MAX_SENTENCES) break;
    // A sentence sharing neither a word nor any meaning with the question is never added to one that does.
    if (chosen.length > 0 && relevance[i]! <= 0) break;
    if ((perPassage.get(candidate.passage) ?? 0) >= tuning.perPassage) continue;
    if (chosen.some((c) => c.text === candidate.text)) continue;
    chosen.push(candidate);
    perPassage.set(candidate.passage, (perPassage.get(candidate.passage) ?? 0) + 1);
  }
  const steps = WANTS_STEPS.test(question) ? stepsOf(chosen.find((c) => c.step)) : undefined;
  chosen.sort((a, b) => a.passage - b.passage || a.position - b.position);
  return chosen
    .filter((c) => !steps || c === steps.anchor || !sameList(c, steps.anchor))
    .map((c) => `${unescapePipes(c === steps?.anchor ? steps.text : clip(c.text))} [${c.passage + 1}]`)
    .join(' ');
}

/** A pipe inside a table cell is escaped (`\|`) in the cleaned text, so it is no border; a quotation shows it plain. */
function unescapePipes(text: string): string {
  return text.replace(/\\\|/g, '|');
}

/** The share of the question's content words found in a passage, its title and headings included. */
function passageCoverage(wanted: string[], hit: SearchHit): number {
  if (!wanted.length) return 0;
  const stems = stemSet(`${hit.title}\n${hit.headings.join('\n')}\n${hit.text}`);
  return wanted.filter((s) => stems.has(s)).length / wanted.length;
}

function sameList(a: Candidate, b: Candidate): boolean {
  return a.passage === b.passage && a.step !== undefined && a.step.list === b.step?.list;
}

/**
 * The numbered list the best-scoring chosen step belongs to, as one quotation ("1. … 2. …"), when
 * it has two to eight steps and is not too long to read in an answer. The best match is often the
 * list's own lead-in ("To request a badge:"), so the step need not be the top sentence.
 */
function stepsOf(best: Candidate | undefined): { anchor: Candidate; text: string } | undefined {
  const items = best?.step?.items.filter((item) => item.length > 0) ?? [];
  if (!best || items.length < 2 || items.length > MAX_STEPS) return undefined;
  const text = items.map((item, i) => `${i + 1}. ${clip(item)}`).join(' ');
  return text.length > MAX_STEPS_CHARS ? undefined : { anchor: best, text };
}
