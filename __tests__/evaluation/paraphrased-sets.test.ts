import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { evaluate, type EvalReport } from '../../evaluation/evaluate.js';
import { parseQuestions } from '../../evaluation/questions.js';
import { prebuild } from '../../indexing/prebuild.js';
import { HANDBOOK_18F, SAMPLE_CORPUS, SHARED_MODELS, STATIC_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

const CIVICACTIONS = path.resolve(SHARED_MODELS, '../corpora/civicactions-guidebook');

/**
 * Hybrid figures measured with the static model and the default calibration (README "Abstaining"),
 * on questions asked in employees' own words. The build and the eval are deterministic, so the
 * tolerance only absorbs a question or two moving with a deliberate change; a larger fall fails.
 */
const MEASURED = {
  sample: { docs: SAMPLE_CORPUS, recallAt5: 0.789, mrrAt10: 0.555, falseAbstention: 0.039, offTopic: 0.6, evidenceQuoted: 0.366 },
  '18f': { docs: HANDBOOK_18F, recallAt5: 0.558, mrrAt10: 0.363, falseAbstention: 0.039, offTopic: 0.75, evidenceQuoted: 0.108 },
  civicactions: { docs: CIVICACTIONS, recallAt5: 0.684, mrrAt10: 0.496, falseAbstention: 0.051, offTopic: 0.75, evidenceQuoted: 0.376 },
} as const;
const TOLERANCE = { recallAt5: 0.02, mrrAt10: 0.02, falseAbstention: 0.03, offTopic: 0.1, evidenceQuoted: 0.02 };

describe.each(Object.entries(MEASURED))('the paraphrased %s set', (name, measured) => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let report: EvalReport;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    const file = `eval/paraphrased/${name}.json`;
    const questions = parseQuestions(JSON.parse(await readFile(file, 'utf8')), file);
    await prebuild({ docsDir: measured.docs, outDir: dir, embedding: STATIC_MODEL, vectraExport: false });
    report = await evaluate({ indexDir: dir, embedding: STATIC_MODEL, questions, modes: ['hybrid'] });
  }, 300_000);
  afterAll(() => cleanup());

  it('is paraphrased: the median question shares at most half its words with its passage', () => {
    expect(report.wordOverlap.median).toBeLessThanOrEqual(0.5);
    expect(report.counts.answerable).toBeGreaterThanOrEqual(60);
    expect(report.counts.offTopic).toBeGreaterThanOrEqual(15);
    expect(report.counts.nearMiss).toBeGreaterThanOrEqual(10);
  });

  it('keeps retrieval and abstention at their measured figures, within the tolerance', () => {
    const hybrid = report.modes.find((m) => m.mode === 'hybrid')!;
    expect(hybrid.recallAt5).toBeGreaterThanOrEqual(measured.recallAt5 - TOLERANCE.recallAt5);
    expect(hybrid.abstention.falseAbstentionRate!).toBeLessThanOrEqual(measured.falseAbstention + TOLERANCE.falseAbstention);
    expect(hybrid.abstention.recall!).toBeGreaterThanOrEqual(measured.offTopic - TOLERANCE.offTopic);
  });

  it('keeps MRR@10 and the share of extractive answers quoting the evidence at their measured figures, within the tolerance', () => {
    const hybrid = report.modes.find((m) => m.mode === 'hybrid')!;
    expect(hybrid.mrrAt10).toBeGreaterThanOrEqual(measured.mrrAt10 - TOLERANCE.mrrAt10);
    expect(hybrid.citations.answersWithEvidenceLabel).toBeGreaterThanOrEqual(60);
    expect(hybrid.citations.answersQuotingEvidence!).toBeGreaterThanOrEqual(measured.evidenceQuoted - TOLERANCE.evidenceQuoted);
  });
});
