/**
 * Offline retrieval evaluation: labelled questions against an index, searched in-process with
 * the worker's own Retriever, in each retrieval mode; no LLM, no HTTP.
 */
import path from 'node:path';
// The service's own abstention, extractive answer, citation check and their defaults, so the
// figures here are the service's. answer/ is pure functions of the hits (no koa, ky or pool).
import { checkCitations } from '../answer/citations.js';
import { DEFAULT_FLOORS, DEFAULT_MEANING_WEIGHT, DEFAULT_TOP_K } from '../answer/defaults.js';
import { extractiveAnswer } from '../answer/extractive.js';
import { judgeRelevance, resolveFloors, type RelevanceFloors } from '../answer/relevance.js';
import { loadEmbedderOrReason } from '../workers/embedder.js';
import type { EmbeddingConfig } from '../workers/model-config.js';
import type { RetrievalMode, SearchHit } from '../workers/protocol.js';
import { Retriever } from '../workers/retriever.js';
import type { ChunkRecord } from '../store/chunk-record.js';
import type { EvidenceKey } from './evidence-key.js';
import { ndcgAt, relevantRanks } from './metrics.js';
import { CUTOFF, isAnswerableResult, round4, summarize, type ModeSummary } from './mode-summary.js';
import { hasEvidence, holdsEvidence, isAnswerable, isNearMiss, isOffTopic, isRelevant, type AnswerableQuestion, type EvalQuestion, type QuestionStyle } from './questions.js';
import { corpusVocabulary, questionOverlap, summarizeOverlap, type OverlapSummary } from './word-overlap.js';

export { CUTOFF, type ModeSummary, type StyleRecall } from './mode-summary.js';
export const ALL_MODES: readonly RetrievalMode[] = ['hybrid', 'vector', 'lexical'];

interface EvalSettings {
  questions: EvalQuestion[];
  /** Default: all three, hybrid first. Modes the index or model cannot serve are skipped and reported. */
  modes?: readonly RetrievalMode[];
  /** Floors that outrank the index's own calibration, as floors set in the service's environment do; the rest come from the index, then the defaults. */
  floors?: Partial<RelevanceFloors>;
  topK?: number;
  /** As the service's `EXTRACTIVE_MEANING_WEIGHT`; 0 picks extractive sentences by shared words alone. */
  meaningWeight?: number;
}

/** Either an open Retriever (the prebuild quality gate has one), or an index and model to open. */
export type EvalOptions = EvalSettings & ({ retriever: Retriever } | { indexDir: string; embedding: EmbeddingConfig | null });

/** A passage the extractive answer cited. */
export interface CitedPassage {
  /** Its 1-based position among the passages. */
  rank: number;
  relevant: boolean;
  /** Whether it holds the label's evidence; null when the label has none. */
  evidence: boolean | null;
}

export interface QuestionModeResult {
  /** Ranks of the relevant chunks within the cut-off. */
  relevantRanks: number[];
  firstRelevantRank: number | null;
  ndcg: number;
  abstained: boolean;
  abstainReason?: string;
  latencyMs: number;
  topHit: { source: string; headings: string[] } | null;
  /** Answerable questions that did not abstain only. */
  cited?: CitedPassage[];
  /** Whether the extractive answer's own text holds the label's evidence; null when the label has none. */
  quotesEvidence?: boolean | null;
}

export interface QuestionResult {
  id: string;
  question: string;
  offTopic: boolean;
  /** Near-miss questions only: neither answerable nor off-topic. */
  nearMiss?: true;
  /** The labelled document; for a near-miss, the document on its topic. */
  source?: string;
  heading?: string;
  evidence?: string;
  evidenceKey?: EvidenceKey;
  style?: QuestionStyle;
  /** Chunks of the whole index that the hit rule accepts; null for off-topic and near-miss questions. */
  relevantInIndex: number | null;
  /** Answerable only: best share of the question's content words in a relevant chunk (null: none matched). */
  wordOverlap?: number | null;
  /** Answerable only: content stems of the question that the index nowhere has. */
  unknownWords?: string[];
  modes: Partial<Record<RetrievalMode, QuestionModeResult>>;
}

export interface EvalReport {
  index: { dir: string; generation: string; model: string | null; chunks: number };
  /** `floors`: what each mode was judged by; keyword search never uses the index's calibration (it has no meaning signal). */
  settings: { topK: number; cutoff: number; floors: Partial<Record<RetrievalMode, RelevanceFloors>>; modes: RetrievalMode[] };
  /** `withEvidence`: answerable labels with a quotation or an evidence key. */
  counts: { answerable: number; offTopic: number; nearMiss: number; withEvidence: number };
  /** How much of the answerable questions' wording their passages share, and the corpus has. */
  wordOverlap: OverlapSummary;
  skippedModes: { mode: RetrievalMode; reason: string }[];
  /** Answerable questions whose label matches no chunk of the index: they cannot score. */
  unmatchedLabels: { id: string; source: string; heading: string }[];
  modes: ModeSummary[];
  questions: QuestionResult[];
}

/** Like the worker: a model that will not load leaves keyword search, with the reason kept. */
async function openRetriever(indexDir: string, embedding: EmbeddingConfig | null): Promise<Retriever> {
  const { embedder, error } = embedding ? await loadEmbedderOrReason(embedding) : { embedder: undefined, error: 'no embedding model was configured' };
  return Retriever.open({ indexDir, embedder, withoutModelReason: error });
}

function plan(retriever: Retriever, requested: readonly RetrievalMode[]): { modes: RetrievalMode[]; skippedModes: EvalReport['skippedModes'] } {
  const modes: RetrievalMode[] = [];
  const skippedModes: EvalReport['skippedModes'] = [];
  for (const mode of new Set(requested)) {
    // Without vectors the Retriever quietly answers vector and hybrid searches by keywords.
    if (mode !== 'lexical' && retriever.retrieval === 'lexical') skippedModes.push({ mode, reason: retriever.degradedReason ?? 'no vectors' });
    else modes.push(mode);
  }
  return { modes, skippedModes };
}

function extractive(question: AnswerableQuestion, passages: SearchHit[], similarity: Record<string, number> | null, weight: number): { cited: CitedPassage[]; quotesEvidence: boolean | null } {
  const answer = extractiveAnswer(question.question, passages, similarity ? { similarity, weight } : undefined);
  const { cited } = checkCitations(answer, passages.length);
  return {
    cited: cited.map((index) => {
      const hit = passages[index]!;
      const evidence = hasEvidence(question) ? hit.source === question.source && holdsEvidence(hit.text, question) === true : null;
      return { rank: index + 1, relevant: isRelevant(hit, question), evidence };
    }),
    quotesEvidence: holdsEvidence(answer, question),
  };
}

interface RunContext {
  retriever: Retriever;
  explicitFloors: Partial<RelevanceFloors>;
  topK: number;
  meaningWeight: number;
}

/** The floors a mode's questions are judged by, as the retriever hands the calibration over (never to keyword search). */
function floorsFor(mode: RetrievalMode, retriever: Retriever, ctx: RunContext): RelevanceFloors {
  return resolveFloors(DEFAULT_FLOORS, mode === 'lexical' ? undefined : retriever.index.manifest.relevance, ctx.explicitFloors);
}

async function runQuestion(question: EvalQuestion, relevantInIndex: number, mode: RetrievalMode, ctx: RunContext): Promise<QuestionModeResult> {
  const started = performance.now();
  const output = await ctx.retriever.search({ query: question.question, topK: Math.max(CUTOFF, ctx.topK), mode });
  const latencyMs = Math.round((performance.now() - started) * 100) / 100;
  const passages = output.hits.slice(0, ctx.topK);
  const verdict = judgeRelevance(question.question, passages, output.retrieval, resolveFloors(DEFAULT_FLOORS, output.calibration, ctx.explicitFloors), output.query);
  const top = output.hits[0];
  const result: QuestionModeResult = {
    relevantRanks: [],
    firstRelevantRank: null,
    ndcg: 0,
    abstained: !verdict.relevant,
    ...(verdict.reason ? { abstainReason: verdict.reason } : {}),
    latencyMs,
    topHit: top ? { source: top.source, headings: top.headings } : null,
  };
  if (!isAnswerable(question)) return result;
  result.relevantRanks = relevantRanks(output.hits.slice(0, CUTOFF).map((hit) => isRelevant(hit, question)));
  result.firstRelevantRank = result.relevantRanks[0] ?? null;
  result.ndcg = round4(ndcgAt(result.relevantRanks, relevantInIndex, CUTOFF));
  if (verdict.relevant) {
    // As the service does: sentences are scored by meaning only where a model searched (keyword-only workers have none).
    const similarity = ctx.meaningWeight > 0 && mode !== 'lexical' ? await ctx.retriever.scoreSentences(question.question, passages) : null;
    Object.assign(result, extractive(question, passages, similarity, ctx.meaningWeight));
  }
  return result;
}

function newResult(question: EvalQuestion, chunks: readonly ChunkRecord[], vocabulary: Set<string>): QuestionResult {
  if (isOffTopic(question)) return { id: question.id, question: question.question, offTopic: true, relevantInIndex: null, modes: {} };
  if (isNearMiss(question)) return { id: question.id, question: question.question, offTopic: false, nearMiss: true, source: question.source, relevantInIndex: null, modes: {} };
  const relevantInIndex = chunks.filter((chunk) => isRelevant(chunk, question)).length;
  const { id, source, heading, evidence, evidenceKey, style } = question;
  const optional = { ...(evidence !== undefined ? { evidence } : {}), ...(evidenceKey ? { evidenceKey } : {}), ...(style ? { style } : {}) };
  return { id, question: question.question, offTopic: false, source, heading, ...optional, relevantInIndex, ...questionOverlap(question, chunks, vocabulary), modes: {} };
}

/**
 * Search every question in every mode and score the results: Recall@1/5, MRR@10, nDCG@10, search
 * latency, abstention and the extractive answer's citations. Never prints or exits; throws the
 * index's own errors (IndexNotFoundError, ManifestMismatchError, ...).
 */
export async function evaluate(options: EvalOptions): Promise<EvalReport> {
  const retriever = 'retriever' in options ? options.retriever : await openRetriever(options.indexDir, options.embedding);
  const ctx: RunContext = { retriever, explicitFloors: options.floors ?? {}, topK: options.topK ?? DEFAULT_TOP_K, meaningWeight: options.meaningWeight ?? DEFAULT_MEANING_WEIGHT };
  const { modes, skippedModes } = plan(retriever, options.modes ?? ALL_MODES);
  // The records are on disk (ChunkStore); the evaluation reads them all, once.
  const chunks = retriever.index.chunks.all();
  const vocabulary = corpusVocabulary(chunks);
  const results = options.questions.map((q) => newResult(q, chunks, vocabulary));
  const answerable = results.filter(isAnswerableResult);
  for (const mode of modes) {
    // One untimed search first: the first query pays for lazy set-up that later ones do not. A
    // question of its own, so the first real one is not answered from the retriever's cache.
    await retriever.search({ query: 'warm-up search before the timed questions', topK: CUTOFF, mode });
    for (const [i, question] of options.questions.entries()) {
      const result = results[i]!;
      result.modes[mode] = await runQuestion(question, result.relevantInIndex ?? 0, mode, ctx);
    }
  }
  const manifestModel = retriever.index.manifest.model;
  return {
    index: { dir: path.dirname(retriever.index.dir), generation: path.basename(retriever.index.dir), model: manifestModel?.id ?? null, chunks: retriever.index.chunks.length },
    settings: { topK: ctx.topK, cutoff: CUTOFF, floors: Object.fromEntries(modes.map((mode) => [mode, floorsFor(mode, retriever, ctx)])), modes },
    counts: {
      answerable: answerable.length,
      offTopic: results.filter((r) => r.offTopic).length,
      nearMiss: results.filter((r) => r.nearMiss === true).length,
      withEvidence: answerable.filter((r) => r.evidence !== undefined || r.evidenceKey !== undefined).length,
    },
    wordOverlap: summarizeOverlap(answerable.map((r) => ({ wordOverlap: r.wordOverlap ?? null, unknownWords: r.unknownWords ?? [] }))),
    skippedModes,
    unmatchedLabels: answerable.filter((r) => r.relevantInIndex === 0).map((r) => ({ id: r.id, source: r.source!, heading: r.heading! })),
    modes: modes.map((mode) => summarize(mode, results)),
    questions: results,
  };
}
