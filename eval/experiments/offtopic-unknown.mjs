#!/usr/bin/env node
/**
 * Off-topic refusal with the unknown-word share in hybrid search, left one corpus out (see
 * offtopic-unknown.md). Every question is searched once (hybrid, default calibration); the rules are
 * applied to the stored outputs. Usage, after `npm run build` and building the three indexes into
 * <dir>/{sample,18f,civicactions}:
 *   MODEL_DIR=/work/shared/models node eval/experiments/offtopic-unknown.mjs <dir>
 */
import { readFile } from 'node:fs/promises';
import { DEFAULT_FLOORS, DEFAULT_TOP_K } from '../../dist/answer/defaults.js';
import { judgeRelevance, resolveFloors } from '../../dist/answer/relevance.js';
import { isNearMiss, isOffTopic, parseQuestions } from '../../dist/evaluation/questions.js';
import { contentStems } from '../../dist/text/terms.js';
import { openWithModel } from './answer-side.mjs';

const dir = process.argv[2] ?? '/tmp/quality-idx';
const CORPORA = { sample: ['eval/paraphrased/sample.json', 'eval/sample-questions.json'], '18f': ['eval/paraphrased/18f.json', 'eval/18f-questions.json'], civicactions: ['eval/paraphrased/civicactions.json'] };
const COST = 3;

/** The pre-registered grid: no rule first (ties go to it), then u × k. */
const GRID = [null];
for (const unknownShare of [0.2, 0.25, 0.34, 0.5]) for (const keywordMatch of [0.15, 0.2, 0.25, 0.3]) GRID.push({ unknownShare, keywordMatch });
const label = (rule) => (rule ? `unknown ≥ ${rule.unknownShare} and keyword match < ${rule.keywordMatch}` : 'no rule');

/** Share of a question's letters that are Latin once accents are folded: what keyword search and the rules can read. */
export function latinShare(question) {
  const letters = [...question.normalize('NFKD').replace(/\p{M}/gu, '')].filter((c) => /\p{L}/u.test(c));
  return letters.length ? letters.filter((c) => /[a-z]/i.test(c)).length / letters.length : 0;
}

/** Whether the question is refused: today's rules, then the script check (`script`), then the unknown-share rule. */
function refused(item, rule, script) {
  if (!item.today.relevant) return true;
  if (script && latinShare(item.question) < 0.5) return true;
  if (!rule) return false;
  const stems = contentStems(item.question);
  const unknown = new Set(item.output.query?.unknownTerms ?? []);
  const share = stems.length ? stems.filter((s) => unknown.has(s)).length / stems.length : 0;
  const keywordMatch = item.output.query?.keywordMatch ?? 0;
  return share >= rule.unknownShare && keywordMatch < rule.keywordMatch;
}

function figures(items, rule, script) {
  const count = (kind) => items.filter((i) => i.kind === kind);
  const share = (list) => (list.length ? list.filter((i) => refused(i, rule, script)).length / list.length : null);
  const n = (list) => `${list.filter((i) => refused(i, rule, script)).length}/${list.length}`;
  return { answerable: share(count('answerable')), answerableN: n(count('answerable')), offTopic: share(count('offTopic')), offTopicN: n(count('offTopic')), nearMiss: share(count('nearMiss')) };
}

/** Wilson 95% interval of k refusals in n. */
function wilson(k, n) {
  const z = 1.96;
  const p = k / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  return `${(centre - half).toFixed(2)}–${(centre + half).toFixed(2)}`;
}

const sets = {}; // corpus -> { file -> items }
for (const [corpus, files] of Object.entries(CORPORA)) {
  const retriever = await openWithModel(`${dir}/${corpus}`);
  sets[corpus] = {};
  for (const file of files) {
    const items = [];
    for (const question of parseQuestions(JSON.parse(await readFile(file, 'utf8')), file)) {
      const output = await retriever.search({ query: question.question, topK: DEFAULT_TOP_K, mode: 'hybrid' });
      const passages = output.hits.slice(0, DEFAULT_TOP_K);
      const today = judgeRelevance(question.question, passages, output.retrieval, resolveFloors(DEFAULT_FLOORS, output.calibration, {}), output.query);
      items.push({ question: question.question, kind: isOffTopic(question) ? 'offTopic' : isNearMiss(question) ? 'nearMiss' : 'answerable', output, today });
    }
    sets[corpus][file] = items;
  }
  retriever.close();
}

/** Best grid point on `corpora` (all their sets pooled per corpus): mean of (off-topic refused − 3 × answerable refused); ties to the earlier point. */
function fit(corpora) {
  let best = 0;
  let bestScore = -Infinity;
  GRID.forEach((rule, i) => {
    const score = corpora.reduce((sum, c) => {
      const f = figures(Object.values(sets[c]).flat(), rule, true);
      return sum + f.offTopic - COST * f.answerable;
    }, 0) / corpora.length;
    if (score > bestScore + 1e-9) [best, bestScore] = [i, score];
  });
  return best;
}

const f = (x) => (x === null ? '—' : x.toFixed(3));
const names = Object.keys(CORPORA);
const verdict = { offTopic: true, answerable: true, older: true, script: true };
console.log('Part 1, the script check alone (fixed, nothing fitted): refused, today -> with it');
for (const corpus of names) {
  for (const [file, items] of Object.entries(sets[corpus])) {
    const [a, b] = [figures(items, null, false), figures(items, null, true)];
    if (a.answerableN !== b.answerableN) verdict.script = false;
    console.log(`  ${file}: answerable ${a.answerableN} -> ${b.answerableN}, off-topic ${a.offTopicN} -> ${b.offTopicN}`);
  }
}
console.log('\nPart 2, the unknown-share rule, fitted leaving one corpus out (script check on in both columns of "with")');
console.log('| held out | set | fitted on the other two | answerable refused: today -> with | off-topic refused: today -> with (95% interval) | near-miss refused: today -> with |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const corpus of names) {
  const chosen = GRID[fit(names.filter((c) => c !== corpus))];
  for (const [file, items] of Object.entries(sets[corpus])) {
    const [a, b] = [figures(items, null, false), figures(items, chosen, true)];
    const paraphrased = file.includes('paraphrased');
    if (paraphrased && !(b.offTopic > a.offTopic)) verdict.offTopic = false;
    if (b.answerable - a.answerable > 0.01) verdict[paraphrased ? 'answerable' : 'older'] = false;
    const [k, n] = b.offTopicN.split('/').map(Number);
    const [k0] = a.offTopicN.split('/').map(Number);
    console.log(`| ${corpus} | ${file} | ${label(chosen)} | ${a.answerableN} -> ${b.answerableN} | ${a.offTopicN} (${wilson(k0, n)}) -> ${b.offTopicN} (${wilson(k, n)}) | ${f(a.nearMiss)} -> ${f(b.nearMiss)} |`);
  }
}
const all = GRID[fit(names)];
console.log(`\nFit on all three corpora: ${label(all)}`);
for (const corpus of names) {
  for (const [file, items] of Object.entries(sets[corpus])) {
    const [a, b] = [figures(items, null, false), figures(items, all, true)];
    if (b.answerable - a.answerable > 0.01) verdict[file.includes('paraphrased') ? 'answerable' : 'older'] = false;
    console.log(`  ${file}: answerable ${a.answerableN} -> ${b.answerableN}, off-topic ${a.offTopicN} -> ${b.offTopicN}, near-miss ${f(a.nearMiss)} -> ${f(b.nearMiss)}`);
  }
}
console.log(`\nRule 1 (every held-out paraphrased set: off-topic refused up): ${verdict.offTopic ? 'holds' : 'fails'}`);
console.log(`Rule 2 (paraphrased sets, held out and with the all-three fit: answerable refused up at most 0.01): ${verdict.answerable ? 'holds' : 'fails'}`);
console.log(`Rule 3 (older sets: answerable refused up at most 0.01): ${verdict.older ? 'holds' : 'fails'}`);
console.log(`Script check (refuses no answerable question of the five sets): ${verdict.script ? 'holds' : 'fails'}`);
const adopt = all && verdict.offTopic && verdict.answerable && verdict.older;
console.log(`Decision: ${adopt ? `adopt ${label(all)}` : 'unknown-share rule not adopted'}; script check ${verdict.script ? 'adopted' : 'not adopted'}`);

console.log('\nEvery grid point, with the script check (answerable refused / off-topic refused per set):');
for (const rule of GRID) {
  console.log(`  ${label(rule)}: ${names.flatMap((c) => Object.entries(sets[c]).map(([file, items]) => { const x = figures(items, rule, true); return `${file.replace('eval/', '')} ${x.answerableN} / ${x.offTopicN}`; })).join('; ')}`);
}
