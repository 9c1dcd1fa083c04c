#!/usr/bin/env node
/**
 * Chunk size × section context, left one corpus out (see section-context.md). Usage, after
 * `npm run build` and building the three indexes at each size into <dir>/{sample,18f,civicactions}:
 *   MODEL_DIR=/work/shared/models node eval/experiments/section-context.mjs --c128 <dir> --c192 <dir> --c256 <dir> [--json <file>]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseQuestions } from '../../dist/evaluation/questions.js';
import { loadEmbedderOrReason } from '../../dist/workers/embedder.js';
import { fuse } from '../../dist/workers/fusion.js';
import { Retriever } from '../../dist/workers/retriever.js';
import { sectionIndex } from './section-scores.mjs';
import { pairedBootstrap, sectionFigures as figures } from './section-figures.mjs';
import { fitOn } from './loco-fit.mjs';

const { values } = parseArgs({ options: { c128: { type: 'string' }, c192: { type: 'string' }, c256: { type: 'string' }, json: { type: 'string' } } });
const SIZES = [128, 192, 256];
const LAMBDAS = [0, 0.2, 0.35, 0.5];
const CORPORA = ['sample', '18f', 'civicactions'];
const OLDER = { sample: 'eval/sample-questions.json', '18f': 'eval/18f-questions.json' };
/** The pre-registered grid, today (128, λ 0) first so ties go to it. */
const GRID = SIZES.flatMap((size) => LAMBDAS.map((lambda) => ({ size, lambda })));
const label = (c) => `${c.size} tokens, λ ${c.lambda}`;
for (const size of SIZES) if (!values[`c${size}`]) throw new Error(`--c${size} <dir> is required`);

const embedders = new Map();
async function open(indexDir) {
  const probe = await Retriever.open({ indexDir });
  const model = probe.index.manifest.model;
  const chunking = probe.index.manifest.chunking;
  probe.close();
  if (!embedders.has(model.id)) {
    const { embedder, error } = await loadEmbedderOrReason({ model: model.id, modelDir: process.env.MODEL_DIR ?? 'models', allowRemote: false, dtype: model.dtype === 'fp32' ? 'fp32' : 'q8' });
    if (!embedder) throw new Error(error);
    embedders.set(model.id, embedder);
  }
  // No result cache: every setting searches afresh (question vectors may be remembered, they do not change).
  const retriever = await Retriever.open({ indexDir, embedder: embedders.get(model.id), cacheEntries: 0 });
  return { retriever, chunking };
}

/** The worker's fusion recomputed as the section path does, against the worker's own hits: they must agree (λ = 0 sanity check). */
async function agreement({ retriever }, file) {
  const questions = parseQuestions(JSON.parse(await readFile(file, 'utf8')), file).slice(0, 40);
  delete retriever.searchIndex;
  let same = 0;
  for (const { question } of questions) {
    const output = await retriever.search({ query: question, topK: 10, mode: 'hybrid' });
    const vector = await retriever.cache.vector(question, () => retriever.embedder.embedQuestion(question));
    const lists = [{ name: 'vector', weight: retriever.fusion.vectorWeight, hits: retriever.nearest(vector, 50) }, { name: 'lexical', weight: retriever.fusion.lexicalWeight, hits: retriever.lexical.search(question, 50).hits }];
    const mine = fuse(lists, retriever.fusion).slice(0, 10).map((hit) => retriever.index.chunks.get(hit.row).id);
    if (mine.join() === output.hits.map((hit) => hit.id).join()) same++;
  }
  return `${same}/${questions.length}`;
}

const f = (x) => (x === null || x === undefined ? '—' : x.toFixed(4));
const opened = {}; // corpus -> size -> { retriever, sections }
const results = {}; // corpus -> grid index -> figures (paraphrased)
for (const corpus of CORPORA) {
  opened[corpus] = {};
  results[corpus] = [];
  for (const size of SIZES) {
    const o = await open(`${values[`c${size}`]}/${corpus}`);
    if (o.chunking.maxTokens !== size) throw new Error(`${corpus} at ${size}: the index was built with ${o.chunking.maxTokens} tokens`);
    o.sections = sectionIndex(o.retriever);
    opened[corpus][size] = o;
    console.error(`${corpus} ${size}: ${o.retriever.index.chunks.length} chunks in ${o.sections.sections} sections; fused list recomputed = worker's on ${await agreement(o, `eval/paraphrased/${corpus}.json`)} questions`);
  }
  for (const config of GRID) results[corpus].push(await figures(opened[corpus][config.size], config.lambda, `eval/paraphrased/${corpus}.json`));
  console.error(`${corpus}: ${GRID.length} settings scored`);
}

/** Best setting on `corpora` (eval/experiments/loco-fit.mjs; ties to the earlier grid point, today first). */
const fit = (corpora) => fitOn(results, corpora, GRID.length);

const verdict = { heldOut: true, older: true, refusals: true, quoted: true };
const worse = (today, now) => now.refused - today.refused > 0.02 || today.offTopic - now.offTopic > 0.02;
console.log('| held out | fitted on the other two | Recall@5: today -> fitted | MRR@10: today -> fitted | answerable refused | off-topic refused | near-miss refused | evidence quoted | answers citing a relevant passage |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
const folds = {};
for (const corpus of CORPORA) {
  const chosen = fit(CORPORA.filter((c) => c !== corpus));
  folds[corpus] = chosen;
  const [today, now] = [results[corpus][0], results[corpus][chosen]];
  if (!(now.mrr > today.mrr && now.r5 >= today.r5)) verdict.heldOut = false;
  if (worse(today, now)) verdict.refusals = false;
  if (today.quoted - now.quoted > 0.02) verdict.quoted = false;
  console.log(`| ${corpus} | ${label(GRID[chosen])} | ${f(today.r5)} -> ${f(now.r5)} | ${f(today.mrr)} -> ${f(now.mrr)} | ${today.refusedN} -> ${now.refusedN} | ${today.offTopicN} -> ${now.offTopicN} | ${f(today.nearMiss)} -> ${f(now.nearMiss)} | ${f(today.quoted)} -> ${f(now.quoted)} | ${f(today.citing)} -> ${f(now.citing)} |`);
}

// Added after the first scoring, descriptive only (the decision above does not use it): how many held-out
// questions moved, and a paired bootstrap 95% interval of the MRR@10 change (10,000 resamples, fixed seed).
console.log('\nHeld-out folds, question by question (first relevant rank better / worse / same; MRR@10 change, paired bootstrap 95% interval):');
for (const corpus of CORPORA) {
  const { better, worse: worseN, same, meanChange, low, high } = pairedBootstrap(results[corpus][0].ranks, results[corpus][folds[corpus]].ranks);
  console.log(`  ${corpus} (${label(GRID[folds[corpus]])}): ${better} better / ${worseN} worse / ${same} same; MRR@10 ${meanChange >= 0 ? '+' : ''}${meanChange.toFixed(4)} [${low.toFixed(4)}, ${high.toFixed(4)}]`);
}

const all = fit(CORPORA);
console.log(`\nFit on all three paraphrased sets: ${label(GRID[all])}`);
const older = {};
for (const [corpus, file] of Object.entries(OLDER)) {
  const today = await figures(opened[corpus][128], 0, file);
  const now = all === 0 ? today : await figures(opened[corpus][GRID[all].size], GRID[all].lambda, file);
  older[corpus] = { today, now };
  if (today.r5 - now.r5 > 0.005 || today.mrr - now.mrr > 0.005) verdict.older = false;
  if (worse(today, now)) verdict.refusals = false;
  console.log(`  ${file}: Recall@5 ${f(today.r5)} -> ${f(now.r5)}, MRR@10 ${f(today.mrr)} -> ${f(now.mrr)}, answerable refused ${today.refusedN} -> ${now.refusedN}, off-topic refused ${today.offTopicN} -> ${now.offTopicN}, citing a relevant passage ${f(today.citing)} -> ${f(now.citing)}, evidence quoted ${f(today.quoted)} -> ${f(now.quoted)}`);
}
for (const corpus of CORPORA) if (worse(results[corpus][0], results[corpus][all])) verdict.refusals = false;

console.log(`\nRule 1 (every held-out fold: MRR@10 up, Recall@5 not down): ${verdict.heldOut ? 'holds' : 'fails'}`);
console.log(`Rule 2 (older sets, fit on all three: Recall@5 and MRR@10 drop at most 0.005): ${verdict.older ? 'holds' : 'fails'}`);
console.log(`Rule 3 (no refusal figure worse by more than 0.02): ${verdict.refusals ? 'holds' : 'fails'}`);
console.log(`Rule 4 (every held-out fold: evidence quoted falls at most 0.02): ${verdict.quoted ? 'holds' : 'fails'}`);
console.log(`Decision: ${all !== 0 && verdict.heldOut && verdict.older && verdict.refusals && verdict.quoted ? `adopt ${label(GRID[all])}` : 'no change'}`);

console.log('\nEvery grid point, paraphrased sets (Recall@1 / Recall@5 / MRR@10 / evidence quoted / answers citing a relevant passage / share of cited passages relevant):');
console.log(`| setting | ${CORPORA.join(' | ')} |`);
console.log(`| --- | ${CORPORA.map(() => '---').join(' | ')} |`);
GRID.forEach((config, i) => console.log(`| ${label(config)} | ${CORPORA.map((c) => { const r = results[c][i]; return `${f(r.r1)} / ${f(r.r5)} / ${f(r.mrr)} / ${f(r.quoted)} / ${f(r.citing)} / ${f(r.citedRelevant)}`; }).join(' | ')} |`));
console.log('\nRefusals per grid point (answerable refused / off-topic refused / near-miss refused) and the five passages\' mean characters, section scoring ms per search:');
console.log(`| setting | ${CORPORA.join(' | ')} |`);
console.log(`| --- | ${CORPORA.map(() => '---').join(' | ')} |`);
GRID.forEach((config, i) => console.log(`| ${label(config)} | ${CORPORA.map((c) => { const r = results[c][i]; return `${r.refusedN} / ${r.offTopicN} / ${f(r.nearMiss)}; ${r.contextChars} chars; ${r.sectionMs.toFixed(2)} ms`; }).join(' | ')} |`));
if (values.json) await writeFile(values.json, JSON.stringify({ grid: GRID, results, folds, all, older }, null, 1));
for (const sizes of Object.values(opened)) for (const { retriever } of Object.values(sizes)) retriever.close();
