/**
 * The evaluation's labels: the questions file's shape, its validation, and the hit rule that
 * says whether a retrieved chunk answers a labelled question.
 */
import { containsEvidenceKey, MAX_KEY_WORDS, type EvidenceKey } from './evidence-key.js';

/** How a question was written, so retrieval can be read per kind of asking. */
export const QUESTION_STYLES = ['short', 'long', 'typo', 'plain'] as const;
export type QuestionStyle = (typeof QUESTION_STYLES)[number];

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
  /** The answer named by hash, for corpora the project may not quote; `evidence` wins when both are given. */
  evidenceKey?: EvidenceKey;
  style?: QuestionStyle;
}

/** A question the documents do not cover: the service should abstain. */
export interface OffTopicQuestion {
  id: string;
  question: string;
  offTopic: true;
}

/** A question on a topic the documents cover, asking a fact they do not state: the service should abstain. */
export interface NearMissQuestion {
  id: string;
  question: string;
  nearMiss: true;
  /** The document on the topic. */
  source: string;
}

export type EvalQuestion = AnswerableQuestion | OffTopicQuestion | NearMissQuestion;

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
  return 'offTopic' in question && question.offTopic === true;
}

export function isNearMiss(question: EvalQuestion): question is NearMissQuestion {
  return 'nearMiss' in question && question.nearMiss === true;
}

export function isAnswerable(question: EvalQuestion): question is AnswerableQuestion {
  return !isOffTopic(question) && !isNearMiss(question);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

type Fail = (rule: string) => QuestionsFileError;

function parseEvidenceKey(value: unknown, fail: Fail): EvidenceKey {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('has "evidenceKey" that is not an object { words, sha256 }');
  const { words, sha256 } = value as Record<string, unknown>;
  if (typeof words !== 'number' || !Number.isInteger(words) || words < 1 || words > MAX_KEY_WORDS) throw fail(`has "evidenceKey.words" that is not an integer from 1 to ${MAX_KEY_WORDS}`);
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(sha256)) throw fail('has "evidenceKey.sha256" that is not 64 hex digits');
  return { words, sha256: sha256.toLowerCase() };
}

/** The optional fields of an answerable label, each checked; absent fields stay absent. */
function parseAnswerableExtras(q: Record<string, unknown>, fail: Fail): Pick<AnswerableQuestion, 'evidence' | 'evidenceKey' | 'style'> {
  if (q.evidence !== undefined && !nonEmptyString(q.evidence)) throw fail('has "evidence" that is not a non-empty string');
  if (q.style !== undefined && !(QUESTION_STYLES as readonly unknown[]).includes(q.style)) throw fail(`has "style" that is not one of ${QUESTION_STYLES.join(', ')}`);
  return {
    ...(q.evidence !== undefined ? { evidence: q.evidence } : {}),
    ...(q.evidenceKey !== undefined ? { evidenceKey: parseEvidenceKey(q.evidenceKey, fail) } : {}),
    ...(q.style !== undefined ? { style: q.style as QuestionStyle } : {}),
  };
}

function parseNearMiss(q: Record<string, unknown>, fail: Fail): NearMissQuestion {
  if (q.offTopic === true) throw fail('has both "nearMiss" and "offTopic": a question is one or the other');
  if (!nonEmptyString(q.source)) throw fail('needs a non-empty string "source" (the document on the topic) with "nearMiss": true');
  return { id: q.id as string, question: q.question as string, nearMiss: true, source: q.source };
}

function parseItem(item: unknown, index: number, file: string): EvalQuestion {
  const fail: Fail = (rule) => new QuestionsFileError(file, `item ${index}${nonEmptyString((item as { id?: unknown })?.id) ? ` (${(item as { id: string }).id})` : ''} ${rule}`);
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw fail('must be an object');
  const q = item as Record<string, unknown>;
  if (!nonEmptyString(q.id)) throw fail('needs a non-empty string "id"');
  if (!nonEmptyString(q.question)) throw fail('needs a non-empty string "question"');
  if (q.nearMiss === true) return parseNearMiss(q, fail);
  if (q.nearMiss !== undefined && q.nearMiss !== false) throw fail('has "nearMiss" that is neither true nor false');
  if (q.offTopic === true) return { id: q.id, question: q.question, offTopic: true };
  if (q.offTopic !== undefined && q.offTopic !== false) throw fail('has "offTopic" that is neither true nor false');
  if (!nonEmptyString(q.source)) throw fail('needs a non-empty string "source" (or "offTopic": true)');
  // An empty heading is a label too: the text before the first heading.
  if (typeof q.heading !== 'string') throw fail('needs a string "heading" ("" for text before the first heading)');
  return { id: q.id, question: q.question, source: q.source, heading: q.heading, ...parseAnswerableExtras(q, fail) };
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

/** Whether the label names its answer, by quotation or by key. */
export function hasEvidence(question: AnswerableQuestion): boolean {
  return question.evidence !== undefined || question.evidenceKey !== undefined;
}

/**
 * Whether `text` holds the label's answer: its quotation when it has one (even beside a key),
 * else its key; null when the label names no answer.
 */
export function holdsEvidence(text: string, question: AnswerableQuestion): boolean | null {
  if (question.evidence !== undefined) return containsEvidence(text, question.evidence);
  if (question.evidenceKey !== undefined) return containsEvidenceKey(text, question.evidenceKey);
  return null;
}

/**
 * The hit rule: a chunk answers a question when it comes from the labelled source and either sits
 * under the labelled heading (anywhere in its trail) or contains the evidence (quoted or keyed).
 */
export function isRelevant(chunk: LabelledChunk, question: AnswerableQuestion): boolean {
  if (chunk.source !== question.source) return false;
  if (headingMatches(chunk.headings, question.heading)) return true;
  return holdsEvidence(chunk.text, question) === true;
}
