// The figures section-context.mjs and section-context-fresh.mjs report for one setting, and the paired
// bootstrap both use to compare two settings question by question.
import { readFile } from 'node:fs/promises';
import { evaluate } from '../../dist/evaluation/evaluate.js';
import { parseQuestions } from '../../dist/evaluation/questions.js';
import { loadEmbedderOrReason } from '../../dist/workers/embedder.js';
import { Retriever } from '../../dist/workers/retriever.js';
import { withSectionContext } from './section-scores.mjs';

/**
 * A retriever over one of the 128-token static indexes the experiments share, with the model that
 * built it (from MODEL_DIR) and no result cache, so each setting searches afresh.
 */
export async function openIndex128(indexDir) {
  const probe = await Retriever.open({ indexDir });
  const { model, chunking } = probe.index.manifest;
  probe.close();
  if (chunking.maxTokens !== 128) throw new Error(`${indexDir}: built with ${chunking.maxTokens}-token chunks, not 128`);
  const { embedder, error } = await loadEmbedderOrReason({ model: model.id, modelDir: process.env.MODEL_DIR ?? 'models', allowRemote: false, dtype: model.dtype === 'fp32' ? 'fp32' : 'q8' });
  if (!embedder) throw new Error(error);
  return Retriever.open({ indexDir, embedder, cacheEntries: 0 });
}

const mean = (xs) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);

/**
 * Hybrid figures of the questions in `file` on `opened.retriever` with section scoring at `lambda`
 * (0: the worker's own search). `ranks` holds each answerable question's first relevant rank (0:
 * none in the top 10), in the file's order, for the paired comparison.
 */
export async function sectionFigures(opened, lambda, file) {
  const questions = parseQuestions(JSON.parse(await readFile(file, 'utf8')), file);
  const stats = withSectionContext(opened.retriever, opened.sections, lambda);
  const report = await evaluate({ retriever: opened.retriever, questions, modes: ['hybrid'] });
  const m = report.modes[0];
  const ranks = report.questions.filter((q) => !q.offTopic && !q.nearMiss).map((q) => q.modes.hybrid?.firstRelevantRank ?? 0);
  const a = m.abstention;
  return {
    r1: m.recallAt1, r5: m.recallAt5, mrr: m.mrrAt10,
    refused: a.falseAbstentionRate, refusedN: `${a.answerableAbstained}/${a.answerable}`, offTopic: a.recall, offTopicN: `${a.offTopicAbstained}/${a.offTopic}`,
    nearMiss: m.nearMiss?.share ?? null, quoted: m.citations.answersQuotingEvidence, citing: m.citations.answersCitingRelevant, citedRelevant: m.citations.relevantShare,
    contextChars: Math.round(mean(stats.contextChars)), sectionMs: mean(stats.costs), ranks, wordOverlap: report.wordOverlap,
  };
}

/**
 * How the answerable questions moved from `before` to `after` (first relevant ranks, same order):
 * counts better / worse / same, the mean MRR@10 change and its paired bootstrap 95% interval
 * (10,000 resamples, a fixed seed, so a re-run prints the same interval).
 */
export function pairedBootstrap(before, after) {
  const rr = (rank) => (rank > 0 && rank <= 10 ? 1 / rank : 0);
  const change = before.map((rank, i) => rr(after[i]) - rr(rank));
  const better = change.filter((d) => d > 0).length;
  const worse = change.filter((d) => d < 0).length;
  let seed = 12;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const means = [];
  for (let b = 0; b < 10000; b++) {
    let sum = 0;
    for (let i = 0; i < change.length; i++) sum += change[Math.floor(random() * change.length)];
    means.push(sum / change.length);
  }
  means.sort((x, y) => x - y);
  return { better, worse, same: change.length - better - worse, meanChange: mean(change), low: means[249], high: means[9749] };
}
