#!/usr/bin/env node
// Validates eval/sample-questions.json against the handbook corpus.
// For each answerable item it checks that:
//   - the source file exists under corpus/handbook/
//   - `heading` matches a `##` or `###` heading line in that file exactly
//   - `evidence` occurs verbatim in that file, and within the body of that heading's
//     section (up to the next heading of any level)
//   - `evidence` is 5-15 words long
// It also checks id uniqueness, off-topic item shape, and that every handbook file
// is covered by at least one question.
// Usage: node eval/check-questions.mjs   (exit code 1 on any error)
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const corpusDir = join(root, 'corpus', 'handbook');
const questions = JSON.parse(readFileSync(join(here, 'sample-questions.json'), 'utf8'));

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.md') ? [p] : [];
  });
}
const files = walk(corpusDir).map((p) => relative(corpusDir, p).split('\\').join('/'));

// Parse a file into sections keyed by heading text (levels 2 and 3).
function sections(text) {
  const lines = text.split('\n');
  const out = [];
  let cur = null;
  for (const line of lines) {
    const m = /^(#{1,6})\s+(.*?)\s*$/.exec(line);
    if (m) {
      cur = { level: m[1].length, heading: m[2], body: [] };
      out.push(cur);
    } else if (cur) {
      cur.body.push(line);
    }
  }
  return out.map((s) => ({ ...s, body: s.body.join('\n') }));
}

const errors = [];
const warnings = [];
const seenIds = new Set();
const covered = new Map(files.map((f) => [f, 0]));
let answerable = 0;
let offTopic = 0;

for (const q of questions) {
  const where = q.id ?? JSON.stringify(q).slice(0, 60);
  if (!q.id || seenIds.has(q.id)) errors.push(`${where}: missing or duplicate id`);
  seenIds.add(q.id);
  if (typeof q.question !== 'string' || !q.question.trim()) errors.push(`${where}: empty question`);

  if (q.offTopic === true) {
    offTopic++;
    if (q.source || q.heading || q.evidence) errors.push(`${where}: off-topic item has source/heading/evidence`);
    continue;
  }
  answerable++;
  for (const k of ['source', 'heading', 'evidence']) {
    if (typeof q[k] !== 'string' || !q[k]) errors.push(`${where}: missing ${k}`);
  }
  if (!files.includes(q.source)) {
    errors.push(`${where}: source not found: ${q.source}`);
    continue;
  }
  covered.set(q.source, covered.get(q.source) + 1);
  const text = readFileSync(join(corpusDir, q.source), 'utf8');
  const secs = sections(text).filter((s) => s.level === 2 || s.level === 3);
  const matches = secs.filter((s) => s.heading === q.heading);
  if (matches.length === 0) {
    errors.push(`${where}: heading "${q.heading}" is not a ##/### heading in ${q.source}`);
  } else if (matches.length > 1) {
    warnings.push(`${where}: heading "${q.heading}" occurs ${matches.length} times in ${q.source}`);
  }
  if (!text.includes(q.evidence)) {
    errors.push(`${where}: evidence not found verbatim in ${q.source}: "${q.evidence}"`);
  } else if (matches.length && !matches.some((s) => s.body.includes(q.evidence))) {
    errors.push(`${where}: evidence is in ${q.source} but not under heading "${q.heading}"`);
  }
  const words = q.evidence.trim().split(/\s+/).length;
  if (words < 5 || words > 15) errors.push(`${where}: evidence has ${words} words (want 5-15)`);
}

const uncovered = [...covered].filter(([, n]) => n === 0).map(([f]) => f);
if (uncovered.length) errors.push(`files with no questions: ${uncovered.join(', ')}`);

console.log(`handbook files: ${files.length}`);
console.log(`questions: ${questions.length} (answerable ${answerable}, off-topic ${offTopic})`);
console.log(`files covered: ${files.length - uncovered.length}/${files.length}`);
if (answerable < 85) errors.push('fewer than 85 answerable questions');
if (offTopic < 18) errors.push('fewer than 18 off-topic questions');
for (const w of warnings) console.log(`WARN  ${w}`);
for (const e of errors) console.log(`ERROR ${e}`);
console.log(errors.length ? `FAILED with ${errors.length} error(s)` : 'OK: all checks passed');
process.exit(errors.length ? 1 : 0);
