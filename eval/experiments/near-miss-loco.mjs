#!/usr/bin/env node
/**
 * Leave-one-corpus-out fit of an answer-side near-miss check (see near-miss-check.md), from the
 * verdicts dumped by dump-verdicts.mjs into <dir>/verdicts-<set>.json.
 * Usage: node eval/experiments/near-miss-loco.mjs <dir>   (after `npm run build`)
 */
import { readFileSync } from 'node:fs';
import { quotableSentences } from '../../dist/text/sentences.js';
import { contentStems, stemSet } from '../../dist/text/terms.js';

const dir = process.argv[2] ?? '/tmp/q';
const CORPORA = ['sample', '18f', 'civicactions'];
const OLDER = ['sample-old', '18f-old'];
const COST = 3;

function signals(row) {
  const wanted = contentStems(row.question);
  const share = (stems) => (wanted.length ? wanted.filter((s) => stems.has(s)).length / wanted.length : 1);
  let sentence = 0;
  let withHeadings = 0;
  let cosine = -1;
  for (const p of row.passages) {
    const context = stemSet(`${p.title}\n${p.headings.join('\n')}`);
    for (const text of quotableSentences(p.text)) {
      const stems = stemSet(text);
      sentence = Math.max(sentence, share(stems));
      withHeadings = Math.max(withHeadings, share(new Set([...stems, ...context])));
      cosine = Math.max(cosine, row.similarity?.[text] ?? -1);
    }
  }
  return { sentence, 'sentence+headings': withHeadings, cosine };
}

const data = {};
for (const set of [...CORPORA, ...OLDER]) {
  data[set] = JSON.parse(readFileSync(`${dir}/verdicts-${set}.json`, 'utf8')).map((row) => ({ ...row, signals: row.answered ? signals(row) : null }));
}
const GRID = [{ signal: 'none', tau: 0 }];
for (const signal of ['sentence', 'sentence+headings']) for (const tau of [0.1, 0.2, 0.25, 0.3, 0.34, 0.4, 0.5]) GRID.push({ signal, tau });
for (const tau of [0.1, 0.2, 0.3, 0.4, 0.5]) GRID.push({ signal: 'cosine', tau });

function figures(set, check) {
  const refused = (row) => !row.answered || (check.signal !== 'none' && row.signals[check.signal] < check.tau);
  const share = (kind) => {
    const rows = data[set].filter((r) => r.kind === kind);
    return rows.length ? rows.filter(refused).length / rows.length : null;
  };
  return { answerable: share('answerable'), nearMiss: share('nearMiss'), offTopic: share('offTopic') };
}
const NONE = GRID[0];
const gain = (set, check) => {
  const a = figures(set, check);
  const b = figures(set, NONE);
  return (a.nearMiss - b.nearMiss) - COST * (a.answerable - b.answerable);
};
function fit(sets) {
  const score = (c) => sets.reduce((s, set) => s + gain(set, c), 0);
  return [...GRID].sort((a, b) => score(b) - score(a) || (a.signal === 'none' ? -1 : b.signal === 'none' ? 1 : a.tau - b.tau))[0];
}
const f = (x) => (x === null ? '—' : x.toFixed(3));
const show = (c) => (c.signal === 'none' ? 'no check' : `${c.signal} < ${c.tau}`);
console.log('| held out | fitted on the other two | near-miss refused: today -> with check | answerable refused: today -> with check | off-topic refused: today -> with check |');
console.log('| --- | --- | --- | --- | --- |');
const rules = { nearMiss: true, answerable: true, older: true };
for (const held of CORPORA) {
  const check = fit(CORPORA.filter((c) => c !== held));
  const before = figures(held, NONE);
  const after = figures(held, check);
  if (!(after.nearMiss > before.nearMiss)) rules.nearMiss = false;
  if (after.answerable - before.answerable > 0.02) rules.answerable = false;
  console.log(`| ${held} | ${show(check)} | ${f(before.nearMiss)} -> ${f(after.nearMiss)} | ${f(before.answerable)} -> ${f(after.answerable)} | ${f(before.offTopic)} -> ${f(after.offTopic)} |`);
}
const all = fit(CORPORA);
console.log(`\nFit on all three: ${show(all)}`);
for (const set of [...CORPORA, ...OLDER]) {
  const before = figures(set, NONE);
  const after = figures(set, all);
  if (OLDER.includes(set) && after.answerable - before.answerable > 0.02) rules.older = false;
  console.log(`  ${set}: near-miss ${f(before.nearMiss)} -> ${f(after.nearMiss)}, answerable refused ${f(before.answerable)} -> ${f(after.answerable)}, off-topic ${f(before.offTopic)} -> ${f(after.offTopic)}`);
}
console.log(`\nRule 1 (near-miss refused up on every held-out fold): ${rules.nearMiss ? 'holds' : 'fails'}`);
console.log(`Rule 2 (answerable refused up at most 0.02 on every held-out fold): ${rules.answerable ? 'holds' : 'fails'}`);
console.log(`Rule 3 (older sets: answerable refused up at most 0.02): ${rules.older ? 'holds' : 'fails'}`);
console.log(`Decision: ${rules.nearMiss && rules.answerable && rules.older && all.signal !== 'none' ? `adopt ${show(all)}` : 'no change'}`);

// After the decision, for the write-up only (nothing is chosen from it): each check's trade-off, pooled over the three paraphrased sets.
if (process.argv.includes('--trade-off')) {
  console.log('\n| check | near-miss refused (pooled) | answerable refused (pooled) |\n| --- | --- | --- |');
  for (const check of GRID) {
    const pooled = (kind) => {
      const rows = CORPORA.flatMap((set) => data[set].filter((r) => r.kind === kind));
      return rows.filter((row) => !row.answered || (check.signal !== 'none' && row.signals[check.signal] < check.tau)).length / rows.length;
    };
    console.log(`| ${show(check)} | ${f(pooled('nearMiss'))} | ${f(pooled('answerable'))} |`);
  }
}
