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
 * An answer made of the passages' own sentences: those sharing the most (rarer) words with the
 * question, and with `meaning` those closest to it in meaning too, at most three, each followed
 * by the `[n]` of its passage. Used when no LLM is configured or the LLM fails, so every claim is
 * a quotation.
 */
export function extractiveAnswer(question: string, passages: SearchHit[], meaning?: SentenceMeaning): string {
  const wanted = contentStems(question);
  const wantsNumber = WANTS_NUMBER.test(question);
  const candidates: Candidate[] = passages.flatMap((hit, passage) => quotables(hit.text).map(({ text, step }, position) => ({ passage, position, text, score: 0, ...(step ? { step } : {}) })));
  // Passages too short to hold a sentence of four words: quote the best one whole.
  if (candidates.length === 0) return passages[0] ? `${clip(passages[0].text.replace(/\s+/g, ' ').trim())} [1]` : '';
  const stemsOf = candidates.map((c) => stemSet(c.text));
  const documentFrequency = new Map<string, number>();
  for (const stems of stemsOf) for (const s of wanted) if (stems.has(s)) documentFrequency.set(s, (documentFrequency.get(s) ?? 0) + 1);
  candidates.forEach((candidate, i) => {
    let matched = 0;
    for (const s of wanted) if (stemsOf[i]!.has(s)) matched += Math.log(1 + candidates.length / documentFrequency.get(s)!);
    // Prefer better-ranked passages a little, and do not reward sheer length.
    const numeric = wantsNumber && matched > 0 && /\d/.test(candidate.text) ? 1.5 : 1;
    candidate.score = (numeric * matched) / Math.sqrt(1 + Math.log(1 + words(candidate.text).length)) + 0.05 / (1 + candidate.passage);
    // A paraphrase shares meaning but few words: "picked for a jury" against "jury service".
    if (meaning) candidate.score += meaning.weight * Math.max(0, meaning.similarity[candidate.text] ?? 0);
  });
  const chosen: Candidate[] = [];
  const perPassage = new Map<number, number>();
  for (const candidate of [...candidates].sort((a, b) => b.score - a.score)) {
    if (chosen.length === MAX_SENTENCES) break;
    if (chosen.length > 0 && candidate.score <= 0.05) break;
    if ((perPassage.get(candidate.passage) ?? 0) >= MAX_PER_PASSAGE) continue;
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
