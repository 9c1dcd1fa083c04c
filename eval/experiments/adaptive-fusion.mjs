#!/usr/bin/env node
/**
 * A keyword weight that follows the question's keyword match (see adaptive-fusion.md): five fusion
 * variants fitted leave-one-corpus-out on the first paraphrased sets, checked on the older sets and
 * confirmed on the fresh sets. Usage, after `npm run build`, with the three 128-token static indexes
 * in <dir>/{sample,18f,civicactions}:
 *   MODEL_DIR=/work/shared/models node eval/experiments/adaptive-fusion.mjs --c128 <dir> [--json <file>]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { evaluate } from '../../dist/evaluation/evaluate.js';
import { parseQuestions } from '../../dist/evaluation/questions.js';
import { weightedScoreFusion } from '../../dist/workers/fusion.js';
import { fitOn } from './loco-fit.mjs';
import { openIndex128, pairedBootstrap } from './section-figures.mjs';

const { values } = parseArgs({ options: { c128: { type: 'string' }, json: { type: 'string' }, fixed: { type: 'string' } } });
if (!values.c128) throw new Error('--c128 <dir> is required');

/** Keyword weight 0.7 × keywordMatch^power on today's scaling (BM25 / the list's best), cosine × vectorWeight. */
const VARIANTS = [
  { name: 'A0', power: 0, vectorWeight: 0.3 },
  { name: 'A1', power: 1, vectorWeight: 0.3 },
  { name: 'A2', power: 0.5, vectorWeight: 0.3 },
  { name: 'A3', power: 1, vectorWeight: 0.4 },
  { name: 'A4', power: 0.5, vectorWeight: 0.4 },
];
const LEXICAL_WEIGHT = 0.7;
const CORPORA = ['sample', '18f', 'civicactions'];
const OLDER = { sample: 'eval/sample-questions.json', '18f': 'eval/18f-questions.json' };
const first = (corpus) => `eval/paraphrased/${corpus}.json`;
const fresh = (corpus) => `eval/paraphrased-fresh/${corpus}.json`;

/** The variant's hybrid ranking of the same two lists the worker fused. */
function fuseVariant(vectorHits, keywordHits, keywordMatch, variant) {
  const factor = variant.fixed ?? (keywordMatch === null ? 1 : keywordMatch ** variant.power);
  return weightedScoreFusion([
    { name: 'vector', weight: variant.vectorWeight, hits: vectorHits },
    { name: 'lexical', weight: LEXICAL_WEIGHT * factor, hits: keywordHits },
  ]);
}

/**
 * Make `retriever`'s hybrid searches rank by `state.variant`. Experiment code: it reaches into the
 * Retriever's private members (plain JavaScript can). The worker's own search runs first, so the
 * signals, calibration and every other field are its own; only the hits are re-ranked. With A0 the
 * re-ranking must give the worker's hits exactly, which `state.mismatches` counts.
 */
function withVariants(retriever, state) {
  const original = Object.getPrototypeOf(retriever).searchIndex;
  retriever.searchIndex = async function (request, vector) {
    const output = await original.call(this, request, vector);
    if (output.retrieval !== 'hybrid' || request.filter) return output;
    const { query, topK } = request;
    const depth = Math.max(this.fusion.depth, topK);
    const queryVector = vector ?? (await this.cache.vector(query, () => this.embedder.embedQuestion(query)));
    const fused = fuseVariant(this.nearest(queryVector, depth), this.lexical.search(query, depth).hits, output.query.keywordMatch, state.variant).slice(0, topK);
    const hits = fused.map((hit) => {
      const chunk = this.index.chunks.get(hit.row);
      return { id: chunk.id, source: chunk.source, title: chunk.title, headings: chunk.headings, start: chunk.start, end: chunk.end, ...(chunk.page !== undefined ? { page: chunk.page } : {}), text: chunk.text, score: hit.score, scores: { ...(hit.vector ? { vector: hit.vector } : {}), ...(hit.lexical ? { lexical: hit.lexical } : {}) } };
    });
    if (state.variant === VARIANTS[0]) {
      state.checked++;
      const same = hits.length === output.hits.length && hits.every((hit, i) => hit.id === output.hits[i].id && hit.score === output.hits[i].score);
      if (!same) state.mismatches++;
    }
    state.keywordMatches.push(output.query.keywordMatch);
    output.hits = hits;
    return output;
  };
}

async function open(indexDir) {
  const retriever = await openIndex128(indexDir);
  const state = { variant: VARIANTS[0], checked: 0, mismatches: 0, keywordMatches: [] };
  withVariants(retriever, state);
  return { retriever, state };
}

const questionsOf = new Map();
async function questions(file) {
  if (!questionsOf.has(file)) questionsOf.set(file, parseQuestions(JSON.parse(await readFile(file, 'utf8')), file));
  return questionsOf.get(file);
}

/** Hybrid figures of `file` under `variant`; `ranks`: each answerable question's first relevant rank (0: none in the top 10). */
async function figures(opened, variant, file) {
  opened.state.variant = variant;
  opened.state.keywordMatches = [];
  const report = await evaluate({ retriever: opened.retriever, questions: await questions(file), modes: ['hybrid'] });
  const m = report.modes[0];
  const a = m.abstention;
  const ranks = report.questions.filter((q) => !q.offTopic && !q.nearMiss).map((q) => q.modes.hybrid?.firstRelevantRank ?? 0);
  return {
    r1: m.recallAt1, r5: m.recallAt5, mrr: m.mrrAt10, refusedN: `${a.answerableAbstained}/${a.answerable}`, offTopicN: a.offTopic ? `${a.offTopicAbstained}/${a.offTopic}` : '—',
    nearMiss: m.nearMiss ? `${m.nearMiss.abstained}/${m.nearMiss.questions}` : "—",
    quoted: m.citations.answersQuotingEvidence, citing: m.citations.answersCitingRelevant, ranks, keywordMatches: opened.state.keywordMatches.slice(1).filter((x) => x !== null),
  };
}

const f = (x) => (x === null || x === undefined ? '—' : x.toFixed(4));
const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
const header = '| set | variant | Recall@1 | Recall@5 | MRR@10 | evidence quoted | answerable refused | off-topic refused | near-miss refused | answers citing a relevant passage |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |';
const line = (set, v, r) => `| ${set} | ${v.name} | ${f(r.r1)} | ${f(r.r5)} | ${f(r.mrr)} | ${f(r.quoted)} | ${r.refusedN} | ${r.offTopicN} | ${r.nearMiss} | ${f(r.citing)} |`;
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : null; };

const opened = {};
for (const corpus of CORPORA) opened[corpus] = await open(`${values.c128}/${corpus}`);
const grid = { first: {}, older: {}, fresh: {} };

// 1. The grid on the first paraphrased sets, every variant.
console.log(`Variants: ${VARIANTS.map((v) => `${v.name} = 0.7 × m^${v.power} × BM25/best + ${v.vectorWeight} × cosine`).join('; ')}\n\nFirst paraphrased sets (fitting):\n${header}`);
for (const corpus of CORPORA) {
  grid.first[corpus] = [];
  for (const v of VARIANTS) {
    const r = await figures(opened[corpus], v, first(corpus));
    grid.first[corpus].push(r);
    console.log(line(first(corpus), v, r));
  }
}

// 2. Leave one corpus out.
const folds = {};
const rule = { heldOut: true, older: true, fresh: true };
console.log('\nLeave one corpus out (fitted on the other two first paraphrased sets, largest sum of Recall@5 + MRR@10):');
for (const held of CORPORA) {
  const pick = fitOn(grid.first, CORPORA.filter((c) => c !== held), VARIANTS.length);
  const today = grid.first[held][0];
  const now = grid.first[held][pick];
  folds[held] = { pick: VARIANTS[pick].name, today, now, paired: pairedBootstrap(today.ranks, now.ranks) };
  if (!(now.mrr > today.mrr && now.r5 >= today.r5)) rule.heldOut = false;
  const p = folds[held].paired;
  console.log(`  ${held} held out: picks ${VARIANTS[pick].name}; Recall@5 ${f(today.r5)} -> ${f(now.r5)}, MRR@10 ${f(today.mrr)} -> ${f(now.mrr)}; ${p.better} better / ${p.worse} worse / ${p.same} same, MRR@10 ${signed(p.meanChange)} [${signed(p.low)}, ${signed(p.high)}]`);
}
const fit = fitOn(grid.first, CORPORA, VARIANTS.length);
const chosen = VARIANTS[fit];
console.log(`  all three: picks ${chosen.name}`);

// 3. The older sets and 4. the fresh sets, every variant (the rule reads the all-three fit only).
console.log(`\nOlder sets:\n${header}`);
for (const [corpus, file] of Object.entries(OLDER)) {
  grid.older[corpus] = [];
  for (const v of VARIANTS) {
    const r = await figures(opened[corpus], v, file);
    grid.older[corpus].push(r);
    console.log(line(file, v, r));
  }
  const [today, now] = [grid.older[corpus][0], grid.older[corpus][fit]];
  if (today.r5 - now.r5 > 0.005 || today.mrr - now.mrr > 0.005) rule.older = false;
}
console.log(`\nFresh sets (confirmation; never fitted on):\n${header}`);
let freshHigher = 0;
for (const corpus of CORPORA) {
  grid.fresh[corpus] = [];
  for (const v of VARIANTS) {
    const r = await figures(opened[corpus], v, fresh(corpus));
    grid.fresh[corpus].push(r);
    console.log(line(fresh(corpus), v, r));
  }
  const [today, now] = [grid.fresh[corpus][0], grid.fresh[corpus][fit]];
  if (now.mrr < today.mrr) rule.fresh = false;
  if (now.mrr > today.mrr) freshHigher++;
}
if (freshHigher < 2) rule.fresh = false;

console.log(`\nThe all-three fit (${chosen.name}) against today (A0), question by question (answerable; first relevant rank better / worse / same; MRR@10 change, paired bootstrap 95% interval):`);
const paired = {};
for (const [kind, files] of [['first', first], ['older', (c) => OLDER[c]], ['fresh', fresh]]) {
  for (const corpus of CORPORA) {
    const rows = grid[kind][corpus];
    if (!rows) continue;
    const p = pairedBootstrap(rows[0].ranks, rows[fit].ranks);
    paired[`${kind}/${corpus}`] = p;
    console.log(`  ${files(corpus)}: ${p.better} better / ${p.worse} worse / ${p.same} same; MRR@10 ${signed(p.meanChange)} [${signed(p.low)}, ${signed(p.high)}]`);
  }
}

console.log('\nKeyword match m of the questions searched (all questions, A0 run; quartiles 25 / 50 / 75%):');
for (const [kind, files] of [['first', first], ['older', (c) => OLDER[c]], ['fresh', fresh]]) {
  for (const corpus of CORPORA) {
    const r = grid[kind][corpus]?.[0];
    if (r) console.log(`  ${files(corpus)}: ${[0.25, 0.5, 0.75].map((q) => f(quantile(r.keywordMatches, q))).join(' / ')}`);
  }
}

const checked = CORPORA.reduce((n, c) => n + opened[c].state.checked, 0);
const mismatches = CORPORA.reduce((n, c) => n + opened[c].state.mismatches, 0);
console.log(`\nA0 re-ranking against the worker's own hits: ${checked} searches, ${mismatches} differ`);
if (mismatches) throw new Error('the A0 re-ranking differs from the worker: the figures are not comparable');
console.log(`Rule 1 (every held-out fold: MRR@10 strictly up, Recall@5 not down): ${rule.heldOut ? 'holds' : 'fails'}`);
console.log(`Rule 2 (older sets, all-three fit: Recall@5 and MRR@10 drop at most 0.005): ${rule.older ? 'holds' : 'fails'}`);
console.log(`Rule 3 (fresh sets, all-three fit: MRR@10 not lower on any, higher on at least two; higher on ${freshHigher}): ${rule.fresh ? 'holds' : 'fails'}`);
console.log(`Decision: ${fit !== 0 && rule.heldOut && rule.older && rule.fresh ? `adopt ${chosen.name}` : 'no change'}`);
// After the decision, not part of it (--fixed f): a keyword factor fixed at f for every question,
// to tell how much of a variant's effect is the weight following m and how much is a smaller keyword weight.
if (values.fixed) {
  const fixed = { name: `F${values.fixed}`, fixed: Number(values.fixed), vectorWeight: 0.3 };
  console.log(`\nAfter the decision, not part of it: keyword weight fixed at 0.7 × ${fixed.fixed} for every question (${fixed.name}), against A0 and A1:\n${header}`);
  grid.fixed = {};
  for (const [kind, files] of [['first', first], ['older', (c) => OLDER[c]], ['fresh', fresh]]) {
    for (const corpus of CORPORA) {
      const rows = grid[kind][corpus];
      if (!rows) continue;
      const r = await figures(opened[corpus], fixed, files(corpus));
      grid.fixed[`${kind}/${corpus}`] = r;
      for (const [v, row] of [[VARIANTS[0], rows[0]], [VARIANTS[1], rows[1]], [fixed, r]]) console.log(line(files(corpus), v, row));
    }
  }
  console.log(`\n${fixed.name} against A1, question by question (as above):`);
  for (const [key, r] of Object.entries(grid.fixed)) {
    const [kind, corpus] = key.split('/');
    const p = pairedBootstrap(grid[kind][corpus][1].ranks, r.ranks);
    console.log(`  ${key}: ${p.better} better / ${p.worse} worse / ${p.same} same; MRR@10 ${signed(p.meanChange)} [${signed(p.low)}, ${signed(p.high)}]`);
  }
}
const strip = (rows) => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([key]) => key !== 'keywordMatches')));
if (values.json) await writeFile(values.json, JSON.stringify({ variants: VARIANTS, fit: chosen.name, folds, rule, paired, grid: Object.fromEntries(Object.entries(grid).map(([k, byCorpus]) => [k, Object.fromEntries(Object.entries(byCorpus).map(([c, rows]) => [c, Array.isArray(rows) ? strip(rows) : strip([rows])[0]]))])) }, null, 1));
for (const { retriever } of Object.values(opened)) retriever.close();
