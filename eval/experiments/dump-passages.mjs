#!/usr/bin/env node
/**
 * Dump, for every answerable question of a set that the service would answer (hybrid, default
 * calibration), the passages it would quote from and their sentences' cosine with the question,
 * so extractive-answer variants can be scored offline without searching again.
 * Usage: node eval/experiments/dump-passages.mjs <index dir> <questions.json> <out.json>
 * (MODEL_DIR names the models folder; run `npm run build` first).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { DEFAULT_FLOORS, DEFAULT_TOP_K } from '../../dist/answer/defaults.js';
import { judgeRelevance, resolveFloors } from '../../dist/answer/relevance.js';
import { isAnswerable, parseQuestions } from '../../dist/evaluation/questions.js';
import { loadEmbedderOrReason } from '../../dist/workers/embedder.js';
import { Retriever } from '../../dist/workers/retriever.js';

const [indexDir, questionsFile, outFile] = process.argv.slice(2);
const questions = parseQuestions(JSON.parse(await readFile(questionsFile, 'utf8')), questionsFile);
const probe = await Retriever.open({ indexDir });
const model = probe.index.manifest.model;
const { embedder, error } = await loadEmbedderOrReason({ model: model.id, modelDir: process.env.MODEL_DIR ?? 'models', allowRemote: false, dtype: model.dtype === 'fp32' ? 'fp32' : 'q8' });
if (!embedder) throw new Error(error);
const retriever = await Retriever.open({ indexDir, embedder });
const rows = [];
for (const question of questions.filter(isAnswerable)) {
  if (question.evidence === undefined && question.evidenceKey === undefined) continue;
  const output = await retriever.search({ query: question.question, topK: DEFAULT_TOP_K, mode: 'hybrid' });
  const passages = output.hits.slice(0, DEFAULT_TOP_K);
  const verdict = judgeRelevance(question.question, passages, output.retrieval, resolveFloors(DEFAULT_FLOORS, output.calibration, {}), output.query);
  if (!verdict.relevant) continue;
  const similarity = await retriever.scoreSentences(question.question, passages);
  rows.push({ question, passages: passages.map(({ id, source, title, headings, start, end, text, score }) => ({ id, source, title, headings, start, end, text, score, scores: {} })), similarity });
}
await writeFile(outFile, JSON.stringify(rows));
console.log(`${rows.length} answered questions with evidence written to ${outFile}`);
