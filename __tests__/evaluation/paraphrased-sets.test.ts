import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { evaluate, type EvalReport } from '../../evaluation/evaluate.js';
import { parseQuestions } from '../../evaluation/questions.js';
import { prebuild } from '../../indexing/prebuild.js';
import { HANDBOOK_18F, SAMPLE_CORPUS, SHARED_MODELS, STATIC_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

const CIVICACTIONS = path.resolve(SHARED_MODELS, '../corpora/civicactions-guidebook');

interface Measured {
  docs: string;
  recallAt5: number;
  mrrAt10: number;
  falseAbstention: number;
  offTopic: number;
  evidenceQuoted: number;
  /** Fewest extractive answers with an evidence label for the quoting figure to mean something. */
  answersWithEvidence: number;
}

/**
 * Hybrid figures measured with the static model and the default calibration (README "Abstaining"),
 * on questions asked in employees' own words: `eval/paraphrased/` and the fresh sets of session 10
 * (`eval/paraphrased-fresh/`, written after the first had been scored many times). The build and the
 * eval are deterministic, so the tolerance only absorbs a question or two moving with a deliberate
 * change; a larger fall fails.
 */
const MEASURED: Record<string, Measured> = {
  'paraphrased/sample': { docs: SAMPLE_CORPUS, recallAt5: 0.789, mrrAt10: 0.555, falseAbstention: 0.039, offTopic: 0.6, evidenceQuoted: 0.366, answersWithEvidence: 60 },
  'paraphrased/18f': { docs: HANDBOOK_18F, recallAt5: 0.558, mrrAt10: 0.363, falseAbstention: 0.039, offTopic: 0.75, evidenceQuoted: 0.108, answersWithEvidence: 60 },
  'paraphrased/civicactions': { docs: CIVICACTIONS, recallAt5: 0.684, mrrAt10: 0.496, falseAbstention: 0.051, offTopic: 0.75, evidenceQuoted: 0.376, answersWithEvidence: 60 },
  'paraphrased-fresh/sample': { docs: SAMPLE_CORPUS, recallAt5: 0.54, mrrAt10: 0.391, falseAbstention: 0.143, offTopic: 0.867, evidenceQuoted: 0.333, answersWithEvidence: 50 },
  'paraphrased-fresh/18f': { docs: HANDBOOK_18F, recallAt5: 0.367, mrrAt10: 0.274, falseAbstention: 0.067, offTopic: 0.467, evidenceQuoted: 0.107, answersWithEvidence: 50 },
  'paraphrased-fresh/civicactions': { docs: CIVICACTIONS, recallAt5: 0.317, mrrAt10: 0.185, falseAbstention: 0.033, offTopic: 0.8, evidenceQuoted: 0.121, answersWithEvidence: 50 },
};
const TOLERANCE = { recallAt5: 0.02, mrrAt10: 0.02, falseAbstention: 0.03, offTopic: 0.1, evidenceQuoted: 0.02 };

// One index per corpus, shared by that corpus's sets (building 18F twice would only cost time).
let root: string;
let cleanupRoot: () => Promise<void>;
const indexes = new Map<string, Promise<string>>();
function indexFor(docs: string): Promise<string> {
  let built = indexes.get(docs);
  if (!built) {
    const outDir = path.join(root, `index-${indexes.size}`);
    built = prebuild({ docsDir: docs, outDir, embedding: STATIC_MODEL, vectraExport: false }).then(() => outDir);
    indexes.set(docs, built);
  }
  return built;
}
beforeAll(async () => {
  ({ dir: root, cleanup: cleanupRoot } = await tempDir());
});
afterAll(() => cleanupRoot());

describe.each(Object.entries(MEASURED))('the %s set', (name, measured) => {
  const file = `eval/${name}.json`;
  let indexDir: string;
  let report: EvalReport;
  beforeAll(async () => {
    const questions = parseQuestions(JSON.parse(await readFile(file, 'utf8')), file);
    indexDir = await indexFor(measured.docs);
    report = await evaluate({ indexDir, embedding: STATIC_MODEL, questions, modes: ['hybrid'] });
  }, 300_000);

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
    expect(hybrid.citations.answersWithEvidenceLabel).toBeGreaterThanOrEqual(measured.answersWithEvidence);
    expect(hybrid.citations.answersQuotingEvidence!).toBeGreaterThanOrEqual(measured.evidenceQuoted - TOLERANCE.evidenceQuoted);
  });

  // The checker reads words with dist/ (as the worker tests do): run after `npm run build`.
  if (name.startsWith('paraphrased-fresh/')) {
    it('passes eval/check-paraphrased.mjs against the index the current code builds (labels, evidence keys, overlap, no copied words)', async () => {
      const generation = (await readdir(indexDir)).find((entry) => entry.startsWith('gen-'));
      expect(generation).toBeDefined();
      const run = spawnSync(process.execPath, ['eval/check-paraphrased.mjs', file, path.join(indexDir, generation!, 'chunks.jsonl'), measured.docs], { encoding: 'utf8' });
      // On failure, the checker's own words (a stale or missing dist/ shows up in stderr).
      expect({ status: run.status, errors: /errors: 0/.test(run.stdout) ? 0 : `${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}` }).toEqual({ status: 0, errors: 0 });
    });
  }
});
