import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { evaluate, type EvalReport } from '../../evaluation/evaluate.js';
import { parseQuestions } from '../../evaluation/questions.js';
import { prebuild } from '../../indexing/prebuild.js';
import { Embedder } from '../../workers/embedder.js';
import { Retriever } from '../../workers/retriever.js';
import { SAMPLE_CORPUS, STATIC_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

/** How far the extractive figures may move when sentences are scored from int8 rows instead of embedded per question. */
const TOLERANCE = 0.01;
const SETS = ['eval/sample-questions.json', 'eval/paraphrased/sample.json'];

/**
 * The same sample index with and without stored sentence vectors (the build is otherwise the
 * same, so retrieval is identical): extractive answers must pick as well from the int8 rows as
 * from sentences embedded per question.
 */
describe('extractive answers from stored sentence vectors, against query-time embedding (sample corpus, static model)', () => {
  let cleanup: () => Promise<void>;
  const reports: { set: string; stored: EvalReport; embedded: EvalReport }[] = [];

  beforeAll(async () => {
    let dir: string;
    ({ dir, cleanup } = await tempDir());
    const embedder = await Embedder.load(STATIC_MODEL);
    const open = async (name: string, sentenceVectors: boolean) => {
      const indexDir = path.join(dir, name);
      await prebuild({ docsDir: SAMPLE_CORPUS, outDir: indexDir, embedding: STATIC_MODEL, vectraExport: false, sentenceVectors });
      return Retriever.open({ indexDir, embedder });
    };
    const stored = await open('stored', true);
    const embedded = await open('embedded', false);
    expect([stored.storedSentences, embedded.storedSentences]).toEqual([true, false]);
    for (const set of SETS) {
      const questions = parseQuestions(JSON.parse(await readFile(set, 'utf8')), set);
      reports.push({ set, stored: await evaluate({ questions, retriever: stored, modes: ['hybrid'] }), embedded: await evaluate({ questions, retriever: embedded, modes: ['hybrid'] }) });
    }
    stored.close();
    embedded.close();
  }, 300_000);
  afterAll(() => cleanup());

  it('retrieves the same passages, and quotes the evidence and cites relevant passages as often, within 0.01', () => {
    expect(reports).toHaveLength(SETS.length);
    for (const { set, stored, embedded } of reports) {
      const [a, b] = [stored.modes[0]!, embedded.modes[0]!];
      process.stdout.write(`${set}: quoting evidence stored ${a.citations.answersQuotingEvidence} vs embedded ${b.citations.answersQuotingEvidence}; citing relevant ${a.citations.answersCitingRelevant} vs ${b.citations.answersCitingRelevant}\n`);
      expect(a.recallAt5).toBe(b.recallAt5);
      expect(a.citations.answers).toBe(b.citations.answers);
      expect(a.citations.answersWithEvidenceLabel).toBeGreaterThan(50);
      expect(Math.abs(a.citations.answersQuotingEvidence! - b.citations.answersQuotingEvidence!)).toBeLessThanOrEqual(TOLERANCE);
      expect(Math.abs(a.citations.answersCitingRelevant! - b.citations.answersCitingRelevant!)).toBeLessThanOrEqual(TOLERANCE);
      expect(Math.abs(a.citations.relevantShare! - b.citations.relevantShare!)).toBeLessThanOrEqual(TOLERANCE);
    }
  });
});
