/**
 * The evaluation's labels: the questions file's shape, its validation, and the hit rule that
 * says whether a retrieved chunk answers a labelled question.
 */

/** A question the documents answer, labelled with where the answer is. */
export interface AnswerableQuestion {
  id: string;
  question: string;
  offTopic?: false;
  /** Path of the source document, relative to the docs folder, as chunks record it. */
  source: string;
  /** Heading the answer sits under; `""` means the text before the document's first heading. */
  heading: string;
  /** A short quotation of the answer, when the label has one. */
  evidence?: string;
}

/** A question the documents do not cover: the service should abstain. */
export interface OffTopicQuestion {
  id: string;
  question: string;
  offTopic: true;
}

export type EvalQuestion = AnswerableQuestion | OffTopicQuestion;

/** What the hit rule needs of a chunk; both `ChunkRecord` and `SearchHit` have it. */
export interface LabelledChunk {
  source: string;
  headings: string[];
  text: string;
}

/** The questions file is not a usable array of questions; names the item and the field. */
export class QuestionsFileError extends Error {
  override name = 'QuestionsFileError';
  readonly code = 'QUESTIONS_FILE';
  constructor(readonly file: string, detail: string, options?: { cause?: unknown }) {
    super(`Questions file ${file}: ${detail}`, options);
  }
}

export function isOffTopic(question: EvalQuestion): question is OffTopicQuestion {
  return question.offTopic === true;
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function parseItem(item: unknown, index: number, file: string): EvalQuestion {
  const fail = (rule: string) => new QuestionsFileError(file, `item ${index}${nonEmptyString((item as { id?: unknown })?.id) ? ` (${(item as { id: string }).id})` : ''} ${rule}`);
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw fail('must be an object');
  const q = item as Record<string, unknown>;
  if (!nonEmptyString(q.id)) throw fail('needs a non-empty string "id"');
  if (!nonEmptyString(q.question)) throw fail('needs a non-empty string "question"');
  if (q.offTopic === true) return { id: q.id, question: q.question, offTopic: true };
  if (q.offTopic !== undefined && q.offTopic !== false) throw fail('has "offTopic" that is neither true nor false');
  if (!nonEmptyString(q.source)) throw fail('needs a non-empty string "source" (or "offTopic": true)');
  // An empty heading is a label too: the text before the first heading.
  if (typeof q.heading !== 'string') throw fail('needs a string "heading" ("" for text before the first heading)');
  if (q.evidence !== undefined && !nonEmptyString(q.evidence)) throw fail('has "evidence" that is not a non-empty string');
  return { id: q.id, question: q.question, source: q.source, heading: q.heading, ...(q.evidence !== undefined ? { evidence: q.evidence } : {}) };
}

/** Check a parsed questions file (a JSON array). Throws QuestionsFileError naming the first bad item. */
export function parseQuestions(json: unknown, file: string): EvalQuestion[] {
  if (!Array.isArray(json)) throw new QuestionsFileError(file, 'must be a JSON array of questions');
  const questions = json.map((item, index) => parseItem(item, index, file));
  const seen = new Set<string>();
  for (const q of questions) {
    if (seen.has(q.id)) throw new QuestionsFileError(file, `id "${q.id}" is used twice`);
    seen.add(q.id);
  }
  if (questions.length === 0) throw new QuestionsFileError(file, 'holds no questions');
  return questions;
}

/**
 * Lowercase words without accents or punctuation. Labels quote the Markdown source while chunks
 * hold cleaned text (no `**`, links or table pipes), so both sides are compared as word runs.
 */
export function labelWords(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

function containsRun(haystack: string, needle: string[]): boolean {
  return needle.length > 0 && ` ${haystack} `.includes(` ${needle.join(' ')} `);
}

/** Share of the evidence's words that a chunk holding only one end of it must contain, in order. */
export const EVIDENCE_PART = 0.6;
/** Below this many words a partial run matches too easily to mean anything. */
const MIN_PART_WORDS = 3;

/**
 * Whether `text` holds the evidence: all its words in order, or, because evidence may straddle
 * a chunk boundary, its first or its last 60% (rounded up, at least three words) in order.
 */
export function containsEvidence(text: string, evidence: string): boolean {
  const wanted = labelWords(evidence);
  const haystack = labelWords(text).join(' ');
  if (containsRun(haystack, wanted)) return true;
  const part = Math.ceil(wanted.length * EVIDENCE_PART);
  if (part < MIN_PART_WORDS || part >= wanted.length) return false;
  return containsRun(haystack, wanted.slice(0, part)) || containsRun(haystack, wanted.slice(-part));
}

/** Headings compared as word runs, so Markdown emphasis or code marks in a label still match. */
export function headingMatches(headings: string[], heading: string): boolean {
  if (heading === '') return headings.length === 0;
  const wanted = labelWords(heading).join(' ');
  return headings.some((h) => labelWords(h).join(' ') === wanted);
}

/**
 * The hit rule: a chunk answers a question when it comes from the labelled source and either sits
 * under the labelled heading (anywhere in its trail) or contains the evidence.
 */
export function isRelevant(chunk: LabelledChunk, question: AnswerableQuestion): boolean {
  if (chunk.source !== question.source) return false;
  if (headingMatches(chunk.headings, question.heading)) return true;
  return question.evidence !== undefined && containsEvidence(chunk.text, question.evidence);
}
