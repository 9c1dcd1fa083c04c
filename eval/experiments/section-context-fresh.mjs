#!/usr/bin/env node
/**
 * Section scoring at 128 tokens, λ 0.2, against today (λ 0) on the fresh paraphrased sets and the
 * older sets (see section-context-fresh.md). Usage, after `npm run build`, with the three 128-token
 * static indexes in <dir>/{sample,18f,civicactions}:
 *   MODEL_DIR=/work/shared/models node eval/experiments/section-context-fresh.mjs --c128 <dir> [--json <file>]
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { openIndex128, pairedBootstrap, sectionFigures } from './section-figures.mjs';
import { sectionIndex } from './section-scores.mjs';

const { values } = parseArgs({ options: { c128: { type: 'string' }, json: { type: 'string' } } });
if (!values.c128) throw new Error('--c128 <dir> is required');
const LAMBDA = 0.2;
const FRESH = ['sample', '18f', 'civicactions'];
const OLDER = { sample: 'eval/sample-questions.json', '18f': 'eval/18f-questions.json' };

async function open(indexDir) {
  const retriever = await openIndex128(indexDir);
  return { retriever, sections: sectionIndex(retriever) };
}

const f = (x) => (x === null || x === undefined ? '—' : x.toFixed(4));
const row = (name, a, b) => `| ${name} | ${f(a.r1)} -> ${f(b.r1)} | ${f(a.r5)} -> ${f(b.r5)} | ${f(a.mrr)} -> ${f(b.mrr)} | ${f(a.quoted)} -> ${f(b.quoted)} | ${a.refusedN} -> ${b.refusedN} | ${a.offTopicN} -> ${b.offTopicN} | ${f(a.nearMiss)} -> ${f(b.nearMiss)} | ${f(a.citing)} -> ${f(b.citing)} | ${b.sectionMs.toFixed(2)} ms |`;
const header = '| set | Recall@1 | Recall@5 | MRR@10 | evidence quoted | answerable refused | off-topic refused | near-miss refused | answers citing a relevant passage | section scoring per search |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |';

const results = { fresh: {}, older: {}, paraphrased: {} };
const verdict = { fresh: true, older: true };
console.log(`Hybrid, λ 0 (today) -> λ ${LAMBDA}, 128-token chunks.\n\nFresh sets (eval/paraphrased-fresh/):\n${header}`);
const opened = {};
for (const corpus of FRESH) {
  opened[corpus] = await open(`${values.c128}/${corpus}`);
  const file = `eval/paraphrased-fresh/${corpus}.json`;
  const today = await sectionFigures(opened[corpus], 0, file);
  const now = await sectionFigures(opened[corpus], LAMBDA, file);
  results.fresh[corpus] = { today, now, paired: pairedBootstrap(today.ranks, now.ranks) };
  if (!(now.mrr > today.mrr && now.r5 >= today.r5)) verdict.fresh = false;
  console.log(row(corpus, today, now));
}
console.log('\nQuestion by question (answerable; first relevant rank better / worse / same; MRR@10 change, paired bootstrap 95% interval):');
for (const corpus of FRESH) {
  const p = results.fresh[corpus].paired;
  console.log(`  ${corpus}: ${p.better} better / ${p.worse} worse / ${p.same} same; MRR@10 ${p.meanChange >= 0 ? '+' : ''}${p.meanChange.toFixed(4)} [${p.low.toFixed(4)}, ${p.high.toFixed(4)}]`);
}
console.log(`\nWord overlap of the fresh sets (the eval's measure, answerable questions): ${FRESH.map((c) => `${c} median ${f(results.fresh[c].today.wordOverlap?.median)}`).join(', ')}`);

console.log(`\nOlder sets:\n${header}`);
for (const [corpus, file] of Object.entries(OLDER)) {
  const today = await sectionFigures(opened[corpus], 0, file);
  const now = await sectionFigures(opened[corpus], LAMBDA, file);
  results.older[corpus] = { today, now };
  if (today.r5 - now.r5 > 0.005 || today.mrr - now.mrr > 0.005) verdict.older = false;
  console.log(row(file, today, now));
}

// Not part of the rule: the first paraphrased sets, where the setting was picked, for comparison.
console.log(`\nFirst paraphrased sets (eval/paraphrased/, where λ ${LAMBDA} was seen after the fact; not part of the rule):\n${header}`);
for (const corpus of FRESH) {
  const file = `eval/paraphrased/${corpus}.json`;
  const today = await sectionFigures(opened[corpus], 0, file);
  const now = await sectionFigures(opened[corpus], LAMBDA, file);
  results.paraphrased[corpus] = { today, now, paired: pairedBootstrap(today.ranks, now.ranks) };
  console.log(row(corpus, today, now));
}

console.log(`\nRule 1 (every fresh set: MRR@10 strictly up, Recall@5 not down): ${verdict.fresh ? 'holds' : 'fails'}`);
console.log(`Rule 2 (older sets: Recall@5 and MRR@10 drop at most 0.005): ${verdict.older ? 'holds' : 'fails'}`);
console.log(`Decision: ${verdict.fresh && verdict.older ? `adopt section scoring, 128 tokens, λ ${LAMBDA} (not implemented this session)` : 'no change'}`);
if (values.json) await writeFile(values.json, JSON.stringify({ lambda: LAMBDA, results, verdict }, null, 1));
for (const { retriever } of Object.values(opened)) retriever.close();
