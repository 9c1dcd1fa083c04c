import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { outFolders, parseEvalArgs, recallGateFailure } from '../../tools/eval-cli.js';
import { evidenceKeyOf } from '../../evaluation/evidence-key.js';
import { isAnswerable, parseQuestions, type AnswerableQuestion, type EvalQuestion } from '../../evaluation/questions.js';
import { formatMarkdown } from '../../evaluation/report.js';
import { evaluate, type EvalReport } from '../../evaluation/evaluate.js';
import { prebuild } from '../../indexing/prebuild.js';
import { Embedder } from '../../workers/embedder.js';
import { Retriever } from '../../workers/retriever.js';
import { SAMPLE_CORPUS, STATIC_MODEL } from '../helpers/models.js';
import { DEFAULT_FLOORS } from '../../answer/defaults.js';
import { tempDir } from '../helpers/temp.js';

/**
 * Hybrid Recall@5 and MRR@10 measured on the sample corpus with the static model (npm run eval,
 * Nov 2026, our BM25 and weighted fusion). CI fails when a change costs more than the tolerance.
 */
const MEASURED_HYBRID_RECALL5 = 0.923;
const MEASURED_HYBRID_MRR10 = 0.802;
/** Share of hybrid extractive answers whose quoted sentences hold the label's evidence, at the default EXTRACTIVE_MEANING_WEIGHT (6) (session 4). */
const MEASURED_HYBRID_QUOTING = 0.66;
/** The same with sentences picked by shared words alone (EXTRACTIVE_MEANING_WEIGHT=0; README, Retrieval quality). */
const MEASURED_HYBRID_QUOTING_BY_WORDS = 0.611;
const TOLERANCE = 0.02;

describe('evaluate on the sample corpus', () => {
  let cleanup: () => Promise<void>;
  let indexDir: string;
  let questions: EvalQuestion[];
  let report: EvalReport;

  beforeAll(async () => {
    let dir: string;
    ({ dir, cleanup } = await tempDir());
    indexDir = path.join(dir, 'index');
    await prebuild({ docsDir: SAMPLE_CORPUS, outDir: indexDir, embedding: STATIC_MODEL, vectraExport: false });
    questions = parseQuestions(JSON.parse(await readFile('eval/sample-questions.json', 'utf8')), 'eval/sample-questions.json');
    // The already-open form, as the prebuild quality gate will call it.
    const retriever = await Retriever.open({ indexDir, embedder: await Embedder.load(STATIC_MODEL) });
    report = await evaluate({ questions, retriever });
  }, 180_000);
  afterAll(() => cleanup());

  it('reports the floors each mode was judged by: keyword search never takes the index calibration', () => {
    const calibration = report.settings.floors.hybrid!;
    expect(report.settings.floors.vector).toEqual(calibration);
    expect(report.settings.floors.lexical).toEqual(DEFAULT_FLOORS);
    expect(calibration.minSimilarity).not.toBe(DEFAULT_FLOORS.minSimilarity);
  });

  it('scores all three modes, hybrid above the measured floor', () => {
    expect(report.modes.map((m) => m.mode)).toEqual(['hybrid', 'vector', 'lexical']);
    expect(report.counts).toEqual({ answerable: 208, offTopic: 22, nearMiss: 0, withEvidence: 208 });
    expect(report.wordOverlap.measured).toBe(208);
    expect(report.wordOverlap.median).toBeGreaterThan(0.3);
    expect(report.wordOverlap.vocabularyCoverage).toBeGreaterThan(0.5);
    expect(report.unmatchedLabels).toEqual([]);
    const hybrid = report.modes[0]!;
    expect(hybrid.recallAt5).toBeGreaterThanOrEqual(MEASURED_HYBRID_RECALL5 - TOLERANCE);
    expect(hybrid.mrrAt10).toBeGreaterThanOrEqual(MEASURED_HYBRID_MRR10 - TOLERANCE);
    expect(hybrid.citations.answersWithEvidenceLabel).toBe(hybrid.citations.answers);
    expect(hybrid.citations.answersQuotingEvidence).toBeGreaterThanOrEqual(MEASURED_HYBRID_QUOTING - TOLERANCE);
    for (const mode of report.modes) {
      expect(mode.recallAt1).toBeGreaterThan(0.3);
      expect(mode.recallAt5).toBeGreaterThanOrEqual(mode.recallAt1);
      expect(mode.mrrAt10).toBeGreaterThan(0);
      expect(mode.ndcgAt10).toBeGreaterThan(0);
      expect(mode.latency.meanMs).toBeGreaterThan(0);
      expect(mode.abstention.offTopic).toBe(22);
      expect(mode.abstention.recall).not.toBeNull();
      expect(mode.citations.cited).toBeGreaterThan(0);
      expect(mode.citations.relevantShare).toBeGreaterThan(0);
    }
  });

  it('runs as `npm run eval` does, exiting 0 above the floor and 1 below it', async () => {
    const cli = (floor: number) => new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ['dist/tools/eval-cli.js', '--index', indexDir, '--questions', 'eval/sample-questions.json', '--model', STATIC_MODEL.model, '--model-dir', STATIC_MODEL.modelDir, '--modes', 'hybrid', '--fail-under-recall5', String(floor)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) => resolve({ code, out }));
    });
    const pass = await cli(MEASURED_HYBRID_RECALL5 - TOLERANCE);
    expect(pass.out).toMatch(/\| Recall@5 \| 0\.9\d\d \|/);
    expect(pass.code).toBe(0);
    const fail = await cli(0.999);
    expect(fail.code).toBe(1);
    expect(fail.out).toMatch(/below 0.999/);
  }, 60_000);

  it('records per question ranks, the first relevant rank and the abstain verdict', () => {
    const answerable = report.questions.find((q) => !q.offTopic && q.modes.hybrid?.firstRelevantRank === 1)!;
    expect(answerable.relevantInIndex).toBeGreaterThan(0);
    expect(answerable.modes.hybrid).toMatchObject({ relevantRanks: expect.arrayContaining([1]), abstained: expect.any(Boolean) });
    const offTopic = report.questions.find((q) => q.offTopic)!;
    expect(offTopic.relevantInIndex).toBeNull();
    expect(offTopic.modes.lexical).toMatchObject({ relevantRanks: [], firstRelevantRank: null });
    expect(offTopic.modes.lexical?.cited).toBeUndefined();
  });

  it('writes Markdown with the modes side by side and the ten worst questions', () => {
    const markdown = formatMarkdown(report);
    expect(markdown).toContain('| | hybrid | vector | lexical |');
    expect(markdown).toMatch(/\| Recall@5 \| 0\.\d{3} \| 0\.\d{3} \| 0\.\d{3} \|/);
    const worst = markdown.split('## Worst 10 questions')[1]!;
    expect(worst.split('\n').filter((line) => /^\| s\d+ \|/.test(line))).toHaveLength(10);
  });

  it('falls back to keyword search when the model cannot load, and says so', async () => {
    const lexical = await evaluate({ questions: questions.slice(0, 20), indexDir, embedding: { ...STATIC_MODEL, model: 'Nobody/missing-model' } });
    expect(lexical.modes.map((m) => m.mode)).toEqual(['lexical']);
    expect(lexical.skippedModes.map((s) => s.mode)).toEqual(['hybrid', 'vector']);
    expect(lexical.skippedModes[0]!.reason).toContain('Nobody/missing-model');
    expect(recallGateFailure(lexical, 0.5)).toMatch(/hybrid Recall@5 was not measured/);
  });

  it('with sentences picked by words alone, quotes the evidence less often, as the README says', async () => {
    const retriever = await Retriever.open({ indexDir, embedder: await Embedder.load(STATIC_MODEL) });
    const byWords = await evaluate({ questions, retriever, modes: ['hybrid'], meaningWeight: 0 });
    const quoting = byWords.modes[0]!.citations.answersQuotingEvidence!;
    expect(quoting).toBeGreaterThanOrEqual(MEASURED_HYBRID_QUOTING_BY_WORDS - TOLERANCE);
    expect(quoting).toBeLessThan(report.modes[0]!.citations.answersQuotingEvidence!);
  }, 60_000);

  /** The first answerable sample questions labelled by key instead of quote, with styles, and three near-misses. */
  function newFormatSet(): EvalQuestion[] {
    const keyed = questions.filter(isAnswerable).slice(0, 12).map((q, i): AnswerableQuestion => {
      const { evidence, ...rest } = q;
      return { ...rest, evidenceKey: evidenceKeyOf(evidence!), style: i % 2 ? 'short' : 'plain' };
    });
    const nearMisses = [
      { id: 'n1', question: 'Does the dental plan pay for adult braces?', nearMiss: true as const, source: 'benefits/dental-and-vision.md' },
      { id: 'n2', question: 'Can I cash out unused sick days when I leave?', nearMiss: true as const, source: 'leave/sick-leave.md' },
      { id: 'n3', question: 'Is the retirement match vested immediately for contractors?', nearMiss: true as const, source: 'benefits/retirement-matching.md' },
    ];
    return [...keyed, ...nearMisses, ...questions.filter((q) => !isAnswerable(q)).slice(0, 4)];
  }

  it('scores keyed labels, styles and near-misses without mixing near-misses into the other figures', async () => {
    const set = newFormatSet();
    const retriever = await Retriever.open({ indexDir, embedder: await Embedder.load(STATIC_MODEL) });
    const keyed = await evaluate({ questions: set, retriever, modes: ['hybrid'] });
    expect(keyed.counts).toEqual({ answerable: 12, offTopic: 4, nearMiss: 3, withEvidence: 12 });
    expect(keyed.unmatchedLabels).toEqual([]);
    const hybrid = keyed.modes[0]!;
    expect(hybrid.abstention).toMatchObject({ answerable: 12, offTopic: 4 });
    expect(hybrid.nearMiss).toMatchObject({ questions: 3 });
    expect(hybrid.byStyle?.map((s) => [s.style, s.questions])).toEqual([['plain', 6], ['short', 6]]);
    expect(hybrid.citations.answersWithEvidenceLabel).toBe(hybrid.citations.answers);
    expect(hybrid.citations.answersQuotingEvidence).toBeGreaterThan(0);
    for (const q of keyed.questions.filter((r) => r.evidenceKey)) {
      // A key matches whole windows only, so never more chunks than the quote (which also takes 60% at a boundary).
      const quoted = report.questions.find((r) => r.id === q.id)!;
      expect(q.relevantInIndex).toBeGreaterThan(0);
      expect(q.relevantInIndex).toBeLessThanOrEqual(quoted.relevantInIndex!);
    }
    const nearMiss = keyed.questions.find((r) => r.id === 'n1')!;
    expect(nearMiss).toMatchObject({ nearMiss: true, relevantInIndex: null, source: 'benefits/dental-and-vision.md' });
    expect(nearMiss.modes.hybrid?.cited).toBeUndefined();
  }, 60_000);

  it('evaluates several questions files in one CLI run, each as a run of its own would', async () => {
    const dir = path.dirname(indexDir);
    const second = path.join(dir, 'new-format.json');
    await writeFile(second, JSON.stringify(newFormatSet()));
    const child = spawn(process.execPath, ['dist/tools/eval-cli.js', '--index', indexDir, '--questions', 'eval/sample-questions.json', '--questions', second, '--model-dir', STATIC_MODEL.modelDir, '--modes', 'hybrid', '--json', '--out', path.join(dir, 'out')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    const { sets } = JSON.parse(out) as { sets: { questionsFile: string; report: EvalReport }[] };
    expect(sets.map((s) => s.questionsFile)).toEqual(['eval/sample-questions.json', second]);
    expect(sets[0]!.report.modes[0]!.recallAt5).toBe(report.modes[0]!.recallAt5);
    expect(sets[1]!.report.counts.nearMiss).toBe(3);
    const written = JSON.parse(await readFile(path.join(dir, 'out', 'new-format', 'eval.json'), 'utf8')) as EvalReport;
    expect(written.counts).toEqual(sets[1]!.report.counts);
  }, 60_000);

  it('gates on hybrid Recall@5', () => {
    expect(recallGateFailure(report, 0.5)).toBeNull();
    expect(recallGateFailure(report, 0.999)).toMatch(/below 0.999/);
  });
});

describe('parseEvalArgs', () => {
  it('takes the model from the flag, then the environment, else leaves it to the index', () => {
    const base = ['--index', 'idx', '--questions', 'q.json'];
    expect(parseEvalArgs(base, {}).model).toBeUndefined();
    expect(parseEvalArgs(base, { EMBEDDING_MODEL: 'A/b', MODEL_DIR: '/models' })).toMatchObject({ model: 'A/b', modelDir: '/models' });
    expect(parseEvalArgs([...base, '--model', 'C/d'], { EMBEDDING_MODEL: 'A/b' }).model).toBe('C/d');
    expect(parseEvalArgs([...base, '--modes', 'lexical,hybrid,lexical', '--fail-under-recall5', '0.8', '--json'], {})).toMatchObject({ modes: ['lexical', 'hybrid'], failUnderRecall5: 0.8, json: true });
  });

  it('reads the ABSTAIN_* floors from the environment, as the service does', () => {
    const base = ['--index', 'idx', '--questions', 'q.json'];
    expect(parseEvalArgs(base, {}).floors).toEqual({});
    expect(parseEvalArgs(base, { ABSTAIN_MIN_SIMILARITY: '0.25' }).floors).toEqual({ minSimilarity: 0.25 });
    expect(() => parseEvalArgs(base, { ABSTAIN_MIN_COVERAGE: '2' })).toThrow(/ABSTAIN_MIN_COVERAGE/);
  });

  it('pairs one index with every questions file, or one index per file in order', () => {
    expect(parseEvalArgs(['--index', 'idx', '--questions', 'q.json'], {}).sets).toEqual([{ indexDir: 'idx', questionsFile: 'q.json' }]);
    expect(parseEvalArgs(['--index', 'i', '--questions', 'a.json', '--questions', 'b.json'], {}).sets).toEqual([
      { indexDir: 'i', questionsFile: 'a.json' },
      { indexDir: 'i', questionsFile: 'b.json' },
    ]);
    expect(parseEvalArgs(['--questions', 'a.json', '--index', 'i1', '--questions', 'b.json', '--index', 'i2'], {}).sets).toEqual([
      { indexDir: 'i1', questionsFile: 'a.json' },
      { indexDir: 'i2', questionsFile: 'b.json' },
    ]);
  });

  it('writes one set into --out itself and several into a folder each, numbered when names clash', () => {
    expect(outFolders('out', [{ indexDir: 'i', questionsFile: 'eval/x.json' }])).toEqual(['out']);
    expect(outFolders('out', [
      { indexDir: 'i', questionsFile: 'eval/paraphrased/sample.json' },
      { indexDir: 'i', questionsFile: 'a/18f.json' },
      { indexDir: 'i', questionsFile: 'b/18f.json' },
    ])).toEqual([path.join('out', 'sample'), path.join('out', '2-18f'), path.join('out', '3-18f')]);
  });

  it.each([
    [['--index', 'i1', '--index', 'i2', '--questions', 'a', '--questions', 'b', '--questions', 'c'], /--index must be given once, or once per --questions \(3\), got 2/],
    [['--index', 'idx'], /--index and --questions are required/],
    [['--index', 'idx', '--questions', 'q', '--modes', 'semantic'], /--modes must list/],
    [['--index', 'idx', '--questions', 'q', '--fail-under-recall5', '92'], /from 0 to 1/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseEvalArgs(argv, {})).toThrow(message);
  });
});
