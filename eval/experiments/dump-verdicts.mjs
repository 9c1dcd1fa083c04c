#!/usr/bin/env node
/**
 * For every question of a set (answerable, near-miss, off-topic): whether today's relevance rules
 * answer it (hybrid, default calibration) and, when they do, the passages and their sentences'
 * cosine with the question, for answer-side checks scored offline (near-miss-check.md).
 * Usage: MODEL_DIR=... node eval/experiments/dump-verdicts.mjs <index dir> <questions.json> <out.json>
 */
import { readFile, writeFile } from 'node:fs/promises';
import { answerSide, openWithModel } from './answer-side.mjs';
import { isNearMiss, isOffTopic, parseQuestions } from '../../dist/evaluation/questions.js';

const [indexDir, questionsFile, outFile] = process.argv.slice(2);
const questions = parseQuestions(JSON.parse(await readFile(questionsFile, 'utf8')), questionsFile);
const retriever = await openWithModel(indexDir);
const rows = [];
for (const question of questions) {
  const kind = isOffTopic(question) ? 'offTopic' : isNearMiss(question) ? 'nearMiss' : 'answerable';
  const { answered, passages, similarity } = await answerSide(retriever, question.question);
  if (!answered) {
    rows.push({ id: question.id, question: question.question, kind, answered: false });
    continue;
  }
  rows.push({ id: question.id, question: question.question, kind, answered: true, passages: passages.map(({ title, headings, text }) => ({ title, headings, text })), similarity });
}
await writeFile(outFile, JSON.stringify(rows));
const count = (k) => rows.filter((r) => r.kind === k).length;
console.log(`${rows.length} questions (${count('answerable')} answerable, ${count('nearMiss')} near-miss, ${count('offTopic')} off-topic) written to ${outFile}`);
