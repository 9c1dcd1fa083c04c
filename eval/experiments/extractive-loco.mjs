#!/usr/bin/env node
/**
 * Leave-one-corpus-out fit of the extractive answer's selection (see extractive-selection.md).
 * Reads the passages dumped by dump-passages.mjs: <dir>/data-{sample,18f,civicactions,sample-old}.json.
 * Usage: node eval/experiments/extractive-loco.mjs <dir> <run: 1 or 2>   (after `npm run build`)
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_EXTRACTIVE_TUNING, extractiveAnswer } from '../../dist/answer/extractive.js';
import { holdsEvidence } from '../../dist/evaluation/questions.js';

const dir = process.argv[2] ?? '/tmp/q';
const CORPORA = ['sample', '18f', 'civicactions'];
const data = Object.fromEntries([...CORPORA, 'sample-old'].map((name) => [name, JSON.parse(readFileSync(`${dir}/data-${name}.json`, 'utf8'))]));
const TODAY = { meaning: 6, ...DEFAULT_EXTRACTIVE_TUNING };
const RUN = process.argv[3] ?? '2';
const GRID = [];
if (RUN === '1') {
  for (const meaning of [3, 6, 10, 16]) for (const rankBonus of [0.05, 0.5, 1, 2]) for (const passageCoverage of [0, 1, 2, 4]) for (const perPassage of [2, 3]) GRID.push({ ...TODAY, meaning, rankBonus, passageCoverage, perPassage });
} else {
  for (const meaning of [6, 10, 16]) for (const rankBonus of [0.05, 1, 2]) for (const neighbour of [0, 0.25, 0.5, 1]) for (const neighbourBoth of [false, true]) for (const perPassage of [2, 3]) {
    if (neighbour === 0 && neighbourBoth) continue;
    GRID.push({ ...TODAY, meaning, rankBonus, neighbour, neighbourBoth, perPassage });
  }
}

const memo = new Map();
function quoted(set, point) {
  const key = `${set}|${JSON.stringify(point)}`;
  if (!memo.has(key)) {
    const rows = data[set];
    const hits = rows.filter(({ question, passages, similarity }) => holdsEvidence(extractiveAnswer(question.question, passages, { similarity, weight: point.meaning }, point), question)).length;
    memo.set(key, hits / rows.length);
  }
  return memo.get(key);
}
const KEYS = ['meaning', 'rankBonus', 'passageCoverage', 'perPassage', 'neighbour', 'neighbourBoth'];
const changed = (p) => KEYS.filter((k) => p[k] !== TODAY[k]).length;
const size = (p) => KEYS.reduce((sum, k) => sum + Number(p[k]), 0);
function fit(sets) {
  const mean = (p) => sets.reduce((sum, s) => sum + quoted(s, p), 0) / sets.length;
  return [...GRID].sort((a, b) => mean(b) - mean(a) || changed(a) - changed(b) || size(a) - size(b))[0];
}
const f = (x) => x.toFixed(3);
const show = (p) => KEYS.map((k) => `${k} ${p[k]}`).join(', ');
console.log('| held out | fitted on the other two | held-out quoted: today -> fitted | training mean: today -> fitted |');
console.log('| --- | --- | --- | --- |');
let everyFold = true;
for (const held of CORPORA) {
  const train = CORPORA.filter((c) => c !== held);
  const point = fit(train);
  const before = quoted(held, TODAY);
  const after = quoted(held, point);
  if (!(after > before)) everyFold = false;
  const trainMean = (p) => train.reduce((s, c) => s + quoted(c, p), 0) / train.length;
  console.log(`| ${held} | ${show(point)} | ${f(before)} -> ${f(after)} | ${f(trainMean(TODAY))} -> ${f(trainMean(point))} |`);
}
const all = fit(CORPORA);
console.log(`\nFit on all three: ${show(all)}`);
for (const set of [...CORPORA, 'sample-old']) console.log(`  ${set}: today ${f(quoted(set, TODAY))} -> ${f(quoted(set, all))}`);
const oldDrop = quoted('sample-old', TODAY) - quoted('sample-old', all);
console.log(`\nRule 1 (every held-out fold strictly better): ${everyFold ? 'holds' : 'fails'}`);
console.log(`Rule 2 (older sample set drops at most 0.02): ${oldDrop <= 0.02 ? 'holds' : 'fails'} (change ${f(-oldDrop)})`);
console.log('Rule 3 (cited passages relevant, five sets): check with the eval at the adopted setting.');
