#!/usr/bin/env node
/**
 * For every question of a set (answerable, near-miss, off-topic): whether today's relevance rules
 * answer it (hybrid, default calibration) and, when they do, the passages and their sentences'
 * cosine with the question, for answer-side checks scored offline (near-miss-check.md).
 * Usage: MODEL_DIR=... node eval/experiments/dump-verdicts.mjs <index dir> <questions.json> <out.json>
 */
import { readFile, writeFile } from 'node:fs/promises';
import { DEFAULT_FLOORS, DEFAULT_TOP_K } from '../../dist/answer/defaults.js';
import { judgeRelevance, resolveFloors } from '../../dist/answer/relevance.js';
import { isNearMiss, isOffTopic, parseQuestions } from '../../dist/evaluation/questions.js';
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
for (const question of questions) {
  const kind = isOffTopic(question) ? 'offTopic' : isNearMiss(question) ? 'nearMiss' : 'answerable';
  const output = await retriever.search({ query: question.question, topK: DEFAULT_TOP_K, mode: 'hybrid' });
  const passages = output.hits.slice(0, DEFAULT_TOP_K);
  const verdict = judgeRelevance(question.question, passages, output.retrieval, resolveFloors(DEFAULT_FLOORS, output.calibration, {}), output.query);
  if (!verdict.relevant) {
    rows.push({ id: question.id, question: question.question, kind, answered: false });
    continue;
  }
  const similarity = await retriever.scoreSentences(question.question, passages);
  rows.push({ id: question.id, question: question.question, kind, answered: true, passages: passages.map(({ title, headings, text }) => ({ title, headings, text })), similarity });
}
await writeFile(outFile, JSON.stringify(rows));
const count = (k) => rows.filter((r) => r.kind === k).length;
console.log(`${rows.length} questions (${count('answerable')} answerable, ${count('nearMiss')} near-miss, ${count('offTopic')} off-topic) written to ${outFile}`);
