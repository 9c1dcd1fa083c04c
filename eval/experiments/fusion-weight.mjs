#!/usr/bin/env node
/**
 * Hybrid figures of the five sets with the fusion's vector weight at 0.3 (today) and 0.4, side by
 * side on the same indexes (see fusion-weight-0.4.md). Usage, after `npm run build` and building
 * the three indexes into <dir>/{sample,18f,civicactions}:
 *   MODEL_DIR=/work/shared/models node eval/experiments/fusion-weight.mjs <dir>
 */
import { readFile } from 'node:fs/promises';
import { evaluate } from '../../dist/evaluation/evaluate.js';
import { parseQuestions } from '../../dist/evaluation/questions.js';
import { loadEmbedderOrReason } from '../../dist/workers/embedder.js';
import { DEFAULT_FUSION } from '../../dist/workers/fusion.js';
import { Retriever } from '../../dist/workers/retriever.js';

const dir = process.argv[2] ?? '/tmp/q';
const SETS = [
  ['sample', 'eval/paraphrased/sample.json'],
  ['18f', 'eval/paraphrased/18f.json'],
  ['civicactions', 'eval/paraphrased/civicactions.json'],
  ['sample', 'eval/sample-questions.json'],
  ['18f', 'eval/18f-questions.json'],
];
const WEIGHTS = [0.3, 0.4];
const f = (x) => (x === null || x === undefined ? '—' : x.toFixed(4));
const verdict = { mrr: true, older: true, abstention: true };
console.log('| set | weight | Recall@5 | MRR@10 | answerable refused | off-topic refused |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const [index, file] of SETS) {
  const questions = parseQuestions(JSON.parse(await readFile(file, 'utf8')), file);
  const probe = await Retriever.open({ indexDir: `${dir}/${index}` });
  const model = probe.index.manifest.model;
  const { embedder, error } = await loadEmbedderOrReason({ model: model.id, modelDir: process.env.MODEL_DIR ?? 'models', allowRemote: false, dtype: model.dtype === 'fp32' ? 'fp32' : 'q8' });
  if (!embedder) throw new Error(error);
  const rows = [];
  for (const vectorWeight of WEIGHTS) {
    const retriever = await Retriever.open({ indexDir: `${dir}/${index}`, embedder, fusion: { ...DEFAULT_FUSION, vectorWeight, lexicalWeight: 1 - vectorWeight } });
    const report = await evaluate({ retriever, questions, modes: ['hybrid'] });
    const m = report.modes[0];
    rows.push({ vectorWeight, r5: m.recallAt5, mrr: m.mrrAt10, refused: m.abstention.answerableAbstained, answerable: m.abstention.answerable, caught: m.abstention.offTopicAbstained, offTopic: m.abstention.offTopic });
  }
  const [today, candidate] = rows;
  const paraphrased = file.includes('paraphrased');
  if (paraphrased && !(candidate.mrr > today.mrr)) verdict.mrr = false;
  if (!paraphrased && (today.r5 - candidate.r5 > 0.005 || today.mrr - candidate.mrr > 0.005)) verdict.older = false;
  if (candidate.refused - today.refused > 1 || today.caught - candidate.caught > 1) verdict.abstention = false;
  for (const r of rows) console.log(`| ${file} | ${r.vectorWeight} | ${f(r.r5)} | ${f(r.mrr)} | ${r.refused}/${r.answerable} | ${r.offTopic ? `${r.caught}/${r.offTopic}` : '—'} |`);
}
console.log(`\nRule 1 (MRR@10 up on all three paraphrased sets): ${verdict.mrr ? 'holds' : 'fails'}`);
console.log(`Rule 2 (older sets: Recall@5 and MRR@10 drop at most 0.005): ${verdict.older ? 'holds' : 'fails'}`);
console.log(`Rule 3 (refusals move by at most one question): ${verdict.abstention ? 'holds' : 'fails'}`);
console.log(`Decision: ${verdict.mrr && verdict.older && verdict.abstention ? 'adopt 0.4' : 'keep 0.3'}`);
