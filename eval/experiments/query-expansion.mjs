#!/usr/bin/env node
/**
 * Query expansion against vocabulary mismatch, left one corpus out (see query-expansion.md). Usage,
 * after `npm run build` and building the three indexes into <dir>/{sample,18f,civicactions}:
 *   MODEL_DIR=/work/shared/models node eval/experiments/query-expansion.mjs <dir> [--json <file>]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { evaluate } from '../../dist/evaluation/evaluate.js';
import { parseQuestions } from '../../dist/evaluation/questions.js';
import { loadEmbedderOrReason } from '../../dist/workers/embedder.js';
import { Retriever } from '../../dist/workers/retriever.js';
import { expandSearches, feedbackTerms, neighbourTerms, termVocabulary } from './expansion-terms.mjs';
import { fitOn } from './loco-fit.mjs';

const dir = process.argv[2] ?? '/tmp/quality-idx';
const jsonAt = process.argv.indexOf('--json');
const CORPORA = ['sample', '18f', 'civicactions'];
const OLDER = { sample: 'eval/sample-questions.json', '18f': 'eval/18f-questions.json' };

/** The pre-registered grid: none first (ties go to it), then RM3, then embedding neighbours. */
const GRID = [{ kind: 'none' }];
for (const docs of [3, 5]) for (const terms of [5, 10]) for (const lambda of [0.1, 0.25, 0.5]) GRID.push({ kind: 'rm3', docs, terms, lambda });
for (const floor of [0.35, 0.42, 0.5]) for (const perWord of [1, 3]) for (const weight of [0.25, 0.5]) GRID.push({ kind: 'neighbours', floor, perWord, weight });
const label = (c) => (c.kind === 'none' ? 'none' : c.kind === 'rm3' ? `rm3 k=${c.docs} n=${c.terms} λ=${c.lambda}` : `nb τ=${c.floor} m=${c.perWord} w=${c.weight}`);

async function open(corpus) {
  const probe = await Retriever.open({ indexDir: `${dir}/${corpus}` });
  const model = probe.index.manifest.model;
  probe.close();
  const { embedder, error } = await loadEmbedderOrReason({ model: model.id, modelDir: process.env.MODEL_DIR ?? 'models', allowRemote: false, dtype: model.dtype === 'fp32' ? 'fp32' : 'q8' });
  if (!embedder) throw new Error(error);
  // No result cache: every setting searches afresh (question vectors may be remembered, they do not change).
  return Retriever.open({ indexDir: `${dir}/${corpus}`, embedder, cacheEntries: 0 });
}

async function figures(retriever, config, vocabulary, file) {
  const questions = parseQuestions(JSON.parse(await readFile(file, 'utf8')), file);
  expandSearches(retriever, config, vocabulary);
  const m = (await evaluate({ retriever, questions, modes: ['hybrid'] })).modes[0];
  const a = m.abstention;
  return { r5: m.recallAt5, mrr: m.mrrAt10, refused: a.falseAbstentionRate, refusedN: `${a.answerableAbstained}/${a.answerable}`, offTopic: a.recall, offTopicN: `${a.offTopicAbstained}/${a.offTopic}`, nearMiss: m.nearMiss?.share ?? null, quoted: m.citations.answersQuotingEvidence };
}

const f = (x) => (x === null || x === undefined ? '—' : x.toFixed(4));
const opened = {};
const results = {}; // corpus -> config index -> figures (paraphrased)
for (const corpus of CORPORA) {
  const retriever = await open(corpus);
  const vocabulary = await termVocabulary(retriever);
  opened[corpus] = { retriever, vocabulary };
  results[corpus] = [];
  for (const config of GRID) results[corpus].push(await figures(retriever, config, vocabulary, `eval/paraphrased/${corpus}.json`));
  console.error(`${corpus}: ${GRID.length} settings scored (vocabulary ${vocabulary.terms.length} terms)`);
}

/** Best setting on `corpora` (eval/experiments/loco-fit.mjs; ties to the earlier grid point, none first). */
const fit = (corpora) => fitOn(results, corpora, GRID.length);

const verdict = { heldOut: true, older: true, refusals: true };
const worse = (today, now) => now.refused - today.refused > 0.02 || today.offTopic - now.offTopic > 0.02;
console.log('| held out | fitted on the other two | Recall@5: today -> fitted | MRR@10: today -> fitted | answerable refused | off-topic refused | near-miss refused | evidence quoted |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
const folds = {};
for (const corpus of CORPORA) {
  const chosen = fit(CORPORA.filter((c) => c !== corpus));
  folds[corpus] = chosen;
  const [today, now] = [results[corpus][0], results[corpus][chosen]];
  if (!(now.r5 > today.r5 && now.mrr > today.mrr)) verdict.heldOut = false;
  if (worse(today, now)) verdict.refusals = false;
  console.log(`| ${corpus} | ${label(GRID[chosen])} | ${f(today.r5)} -> ${f(now.r5)} | ${f(today.mrr)} -> ${f(now.mrr)} | ${today.refusedN} -> ${now.refusedN} | ${today.offTopicN} -> ${now.offTopicN} | ${f(today.nearMiss)} -> ${f(now.nearMiss)} | ${f(today.quoted)} -> ${f(now.quoted)} |`);
}
const all = fit(CORPORA);
console.log(`\nFit on all three paraphrased sets: ${label(GRID[all])}`);
const older = {};
for (const [corpus, file] of Object.entries(OLDER)) {
  const { retriever, vocabulary } = opened[corpus];
  const today = await figures(retriever, GRID[0], vocabulary, file);
  const now = all === 0 ? today : await figures(retriever, GRID[all], vocabulary, file);
  older[corpus] = { today, now };
  if (today.r5 - now.r5 > 0.005 || today.mrr - now.mrr > 0.005) verdict.older = false;
  if (worse(today, now)) verdict.refusals = false;
  console.log(`  ${file}: Recall@5 ${f(today.r5)} -> ${f(now.r5)}, MRR@10 ${f(today.mrr)} -> ${f(now.mrr)}, answerable refused ${today.refusedN} -> ${now.refusedN}, off-topic refused ${today.offTopicN} -> ${now.offTopicN}`);
}
for (const corpus of CORPORA) {
  const [today, now] = [results[corpus][0], results[corpus][all]];
  if (worse(today, now)) verdict.refusals = false;
}

// Cost per search of the all-three fit (or of each kind's best on all three when the fit is none), no memo.
console.log('\nCost per search (paraphrased questions of each corpus, expansion step only, against the whole hybrid search):');
const kinds = all === 0 ? ['rm3', 'neighbours'].map((kind) => GRID.reduce((b, c, i) => (c.kind === kind && (b < 0 || fitScore(i) > fitScore(b)) ? i : b), -1)) : [all];
function fitScore(i) {
  return CORPORA.reduce((s, c) => s + results[c][i].r5 + results[c][i].mrr, 0);
}
for (const corpus of CORPORA) {
  const { retriever, vocabulary } = opened[corpus];
  const questions = parseQuestions(JSON.parse(await readFile(`eval/paraphrased/${corpus}.json`, 'utf8')), corpus).map((q) => q.question);
  expandSearches(retriever, GRID[0], vocabulary);
  let searchMs = 0;
  for (const query of questions) {
    const t = performance.now();
    await retriever.search({ query, topK: 10, mode: 'hybrid' });
    searchMs += performance.now() - t;
  }
  const parts = [`${corpus}: hybrid search ${(searchMs / questions.length).toFixed(2)} ms`];
  for (const i of kinds) {
    const config = GRID[i];
    let ms = 0;
    for (const query of questions) {
      const memo = new Map();
      const keyword = retriever.lexical.search(query, 50);
      const terms = new Set(keyword.profile.terms);
      const t = performance.now();
      if (config.kind === 'rm3') feedbackTerms(retriever, keyword.hits.map((h) => ({ row: h.row, score: h.score })), terms, config);
      else await neighbourTerms(retriever, vocabulary, query, terms, config, memo);
      ms += performance.now() - t;
    }
    parts.push(`${label(config)} term selection ${(ms / questions.length).toFixed(2)} ms`);
  }
  parts.push(`neighbour vocabulary ${vocabulary.terms.length} terms × ${vocabulary.dimensions} float32 = ${((vocabulary.vectors.byteLength) / 1e6).toFixed(1)} MB`);
  console.log(`  ${parts.join('; ')}`);
}

console.log(`\nRule 1 (every held-out fold: Recall@5 and MRR@10 up): ${verdict.heldOut ? 'holds' : 'fails'}`);
console.log(`Rule 2 (older sets, fit on all three: Recall@5 and MRR@10 drop at most 0.005): ${verdict.older ? 'holds' : 'fails'}`);
console.log(`Rule 3 (no refusal figure worse by more than 0.02): ${verdict.refusals ? 'holds' : 'fails'}`);
console.log(`Decision: ${all !== 0 && verdict.heldOut && verdict.older && verdict.refusals ? `adopt ${label(GRID[all])}` : 'no change'}`);

console.log('\nEvery grid point (paraphrased sets; Recall@5 / MRR@10 / answerable refused / off-topic refused):');
console.log(`| setting | ${CORPORA.join(' | ')} |`);
console.log(`| --- | ${CORPORA.map(() => '---').join(' | ')} |`);
GRID.forEach((config, i) => console.log(`| ${label(config)} | ${CORPORA.map((c) => { const r = results[c][i]; return `${f(r.r5)} / ${f(r.mrr)} / ${f(r.refused)} / ${f(r.offTopic)}`; }).join(' | ')} |`));
if (jsonAt > 0) await writeFile(process.argv[jsonAt + 1], JSON.stringify({ grid: GRID, results, folds, all, older }, null, 1));
for (const { retriever } of Object.values(opened)) retriever.close();
