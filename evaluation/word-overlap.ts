/**
 * Word overlap: how many of a question's own words its answer's passage shares. A set written
 * in the documents' words measures word matching, not understanding; this says which it is.
 * Words are read as the service's abstention rule reads them (`text/terms.ts`: content words,
 * stopwords dropped, stemmed; a passage offers its title, heading trail and text).
 */
import { contentStems, stemSet } from '../text/terms.js';
import { median, mean } from './metrics.js';
import { isRelevant, type AnswerableQuestion, type LabelledChunk } from './questions.js';

/** A chunk as the overlap reads it: `ChunkRecord` and `SearchHit` both fit. */
export interface OverlapChunk extends LabelledChunk {
  title: string;
}

/** The stems a passage offers, as the coverage rule of `answer/relevance.ts` gathers them. */
export function passageStems(chunk: OverlapChunk): Set<string> {
  return stemSet([chunk.title, ...chunk.headings, chunk.text].join('\n'));
}

/** Share of `stems` found in `offered`; 1 for a question without content words, as the coverage rule counts it. */
export function stemShare(stems: string[], offered: Set<string>): number {
  return stems.length ? stems.filter((s) => offered.has(s)).length / stems.length : 1;
}

/** Every stem of the index: what "a word the corpus has" means. */
export function corpusVocabulary(chunks: readonly OverlapChunk[]): Set<string> {
  const vocabulary = new Set<string>();
  for (const chunk of chunks) for (const s of passageStems(chunk)) vocabulary.add(s);
  return vocabulary;
}

export interface QuestionOverlap {
  /** Best share over the chunks the hit rule accepts; null when the label matches none. */
  wordOverlap: number | null;
  /** Content stems of the question that no chunk of the index has. */
  unknownWords: string[];
}

/** One answerable question's overlap with its relevant chunks, and the words the corpus lacks. */
export function questionOverlap(question: AnswerableQuestion, chunks: readonly OverlapChunk[], vocabulary: Set<string>): QuestionOverlap {
  const stems = contentStems(question.question);
  let best: number | null = null;
  for (const chunk of chunks) {
    if (!isRelevant(chunk, question)) continue;
    best = Math.max(best ?? 0, stemShare(stems, passageStems(chunk)));
  }
  return { wordOverlap: best, unknownWords: stems.filter((s) => !vocabulary.has(s)) };
}

/** A set's overlap figures, over its answerable questions. */
export interface OverlapSummary {
  /** Questions whose label matched a chunk, so that have an overlap. */
  measured: number;
  median: number | null;
  mean: number | null;
  /** Share of the answerable questions all of whose content words occur in the index. */
  vocabularyCoverage: number | null;
}

/** Median and mean overlap of the measured questions, and the vocabulary coverage of all of them. */
export function summarizeOverlap(overlaps: readonly QuestionOverlap[]): OverlapSummary {
  const measured = overlaps.flatMap((o) => (o.wordOverlap === null ? [] : [o.wordOverlap]));
  const round = (n: number) => Math.round(n * 1e4) / 1e4;
  return {
    measured: measured.length,
    median: measured.length ? round(median(measured)) : null,
    mean: measured.length ? round(mean(measured)) : null,
    vocabularyCoverage: overlaps.length ? round(overlaps.filter((o) => o.unknownWords.length === 0).length / overlaps.length) : null,
  };
}
