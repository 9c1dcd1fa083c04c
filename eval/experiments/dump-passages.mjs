#!/usr/bin/env node
/**
 * Dump, for every answerable question of a set that the service would answer (hybrid, default
 * calibration), the passages it would quote from and their sentences' cosine with the question,
 * so extractive-answer variants can be scored offline without searching again.
 * Usage: node eval/experiments/dump-passages.mjs <index dir> <questions.json> <out.json>
 * (MODEL_DIR names the models folder; run `npm run build` first).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { answerSide, openWithModel } from './answer-side.mjs';
import { isAnswerable, parseQuestions } from '../../dist/evaluation/questions.js';

const [indexDir, questionsFile, outFile] = process.argv.slice(2);
const questions = parseQuestions(JSON.parse(await readFile(questionsFile, 'utf8')), questionsFile);
const retriever = await openWithModel(indexDir);
const rows = [];
for (const question of questions.filter(isAnswerable)) {
  if (question.evidence === undefined && question.evidenceKey === undefined) continue;
  const { answered, passages, similarity } = await answerSide(retriever, question.question);
  if (!answered) continue;
  rows.push({ question, passages: passages.map(({ id, source, title, headings, start, end, text, score }) => ({ id, source, title, headings, start, end, text, score, scores: {} })), similarity });
}
await writeFile(outFile, JSON.stringify(rows));
console.log(`${rows.length} answered questions with evidence written to ${outFile}`);
