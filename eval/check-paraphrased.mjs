#!/usr/bin/env node
// Validates a paraphrased question set (eval/paraphrased/*.json) against the chunks of a built
// index and the documents it was built from. It reads words with the service's own code in dist/
// (run `npm run build` first), so its overlaps are the eval's.
//
// Usage:
//   node eval/check-paraphrased.mjs <questions.json> <generation folder>/chunks.jsonl <docs folder>
//
// Errors (exit 1):
//   - malformed items: ids, kinds (answerable, nearMiss: true, offTopic: true), evidenceKey, style
//   - an answerable label that no chunk matches (same source, and the heading in the chunk's
//     trail or the evidence in its text: the eval's hit rule)
//   - an answerable without evidence or evidenceKey, or whose evidence is not in a chunk of its
//     source under its heading
//   - a near-miss whose source is no chunk's source
//   - a question that copies 6 or more consecutive words of any document in the folder
//   - a question whose word overlap with its best relevant chunk is above 0.5
//   - fewer than 60 answerable, 10 near-miss or 15 off-topic questions
// It prints the overlap median and every offender with its overlap.
//
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { contentStems, stemSet } from '../dist/text/terms.js';
import { loadJson } from './read-json.mjs';

const MIN = { answerable: 60, nearMiss: 10, offTopic: 15 };
const MAX_OVERLAP = 0.5;
const COPY_WORDS = 6;
const STYLES = new Set(['short', 'long', 'typo', 'plain']);
const DOC_EXTENSIONS = /\.(md|markdown|txt|html?)$/i;

const passageStems = (c) => stemSet([c.title ?? '', ...c.headings, c.text].join('\n'));

// --- evaluation/questions.ts and evidence-key.ts: the hit rule and the evidence checks ---
const labelWords = (text) => text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
const keyTokens = (text) => text.normalize('NFKC').toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');
const containsRun = (haystack, needle) => needle.length > 0 && ` ${haystack} `.includes(` ${needle.join(' ')} `);
function containsEvidence(text, evidence) {
  const wanted = labelWords(evidence);
  const haystack = labelWords(text).join(' ');
  if (containsRun(haystack, wanted)) return true;
  const part = Math.ceil(wanted.length * 0.6);
  if (part < 3 || part >= wanted.length) return false;
  return containsRun(haystack, wanted.slice(0, part)) || containsRun(haystack, wanted.slice(-part));
}
function containsKey(text, key) {
  const tokens = keyTokens(text);
  for (let i = 0; i + key.words <= tokens.length; i++) if (sha256(tokens.slice(i, i + key.words).join(' ')) === key.sha256.toLowerCase()) return true;
  return false;
}
function headingMatches(headings, heading) {
  if (heading === '') return headings.length === 0;
  const wanted = labelWords(heading).join(' ');
  return headings.some((h) => labelWords(h).join(' ') === wanted);
}
const holdsEvidence = (text, q) => (q.evidence !== undefined ? containsEvidence(text, q.evidence) : q.evidenceKey !== undefined ? containsKey(text, q.evidenceKey) : false);
const isRelevant = (c, q) => c.source === q.source && (headingMatches(c.headings, q.heading) || holdsEvidence(c.text, q));

// --- the checks ---
const [questionsPath, chunksPath, docsDir] = process.argv.slice(2);
if (!questionsPath || !chunksPath || !docsDir) {
  console.error('usage: node eval/check-paraphrased.mjs <questions.json> <chunks.json> <docs folder>');
  process.exit(2);
}
const questions = loadJson(questionsPath, 'questions');
const rawChunks = loadJson(chunksPath, 'chunks');
const chunks = Array.isArray(rawChunks) ? rawChunks : rawChunks?.chunks;
if (!Array.isArray(questions) || !Array.isArray(chunks)) {
  console.error('questions must be a JSON array, chunks an array (or { chunks: [...] })');
  process.exit(1);
}
const bySource = new Map();
for (const c of chunks) bySource.set(c.source, [...(bySource.get(c.source) ?? []), c]);

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : DOC_EXTENSIONS.test(name) ? [p] : [];
  });
}
const docGrams = new Set();
for (const file of walk(docsDir)) {
  const tokens = keyTokens(readFileSync(file, 'utf8'));
  for (let i = 0; i + COPY_WORDS <= tokens.length; i++) docGrams.add(tokens.slice(i, i + COPY_WORDS).join(' '));
}
function copiedRun(question) {
  const tokens = keyTokens(question);
  for (let i = 0; i + COPY_WORDS <= tokens.length; i++) {
    const gram = tokens.slice(i, i + COPY_WORDS).join(' ');
    if (docGrams.has(gram)) return gram;
  }
  return null;
}

const errors = [];
const counts = { answerable: 0, nearMiss: 0, offTopic: 0 };
const overlaps = [];
const offenders = [];
const seen = new Set();

/** False (with an error) for a malformed key; true when absent or well formed. */
function keyIsValid(q, where) {
  const k = q.evidenceKey;
  if (k === undefined) return true;
  if (typeof k !== 'object' || k === null || !Number.isInteger(k.words) || k.words < 1 || k.words > 40) errors.push(`${where}: evidenceKey.words must be an integer from 1 to 40`);
  else if (typeof k.sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(k.sha256)) errors.push(`${where}: evidenceKey.sha256 must be 64 hex digits`);
  else return true;
  return false;
}

function bestOverlap(question, relevant) {
  const stems = contentStems(question);
  const shares = relevant.map((c) => {
    const offered = passageStems(c);
    return stems.length ? stems.filter((s) => offered.has(s)).length / stems.length : 1;
  });
  return { best: Math.max(...shares), shared: stems.filter((s) => relevant.some((c) => passageStems(c).has(s))) };
}

function checkAnswerable(q, where) {
  counts.answerable++;
  if (typeof q.source !== 'string' || !q.source || typeof q.heading !== 'string') return errors.push(`${where}: needs a string source and heading`);
  if (q.style !== undefined && !STYLES.has(q.style)) errors.push(`${where}: style must be one of ${[...STYLES].join(', ')}`);
  const keyOk = keyIsValid(q, where);
  const own = bySource.get(q.source) ?? [];
  if (!own.length) return errors.push(`${where}: source "${q.source}" is no chunk's source`);
  const relevant = own.filter((c) => isRelevant(c, q));
  if (!relevant.length) errors.push(`${where}: no chunk of ${q.source} matches heading ${JSON.stringify(q.heading)} or holds the evidence`);
  if (q.evidence === undefined && q.evidenceKey === undefined) errors.push(`${where}: needs evidence or evidenceKey`);
  else if (keyOk && !own.some((c) => headingMatches(c.headings, q.heading) && holdsEvidence(c.text, q))) {
    errors.push(`${where}: its ${q.evidence !== undefined ? 'evidence' : 'evidenceKey'} is in no chunk of ${q.source} under ${JSON.stringify(q.heading)}`);
  }
  if (!relevant.length) return;
  const { best, shared } = bestOverlap(q.question, relevant);
  overlaps.push(best);
  if (best > MAX_OVERLAP) offenders.push([q.id, best, shared]);
}

for (const [index, q] of questions.entries()) {
  const where = `item ${index}${q?.id ? ` (${q.id})` : ''}`;
  if (!q || typeof q !== 'object') { errors.push(`${where}: not an object`); continue; }
  if (typeof q.id !== 'string' || !q.id.trim()) errors.push(`${where}: missing id`);
  else if (seen.has(q.id)) errors.push(`${where}: id used twice`);
  else seen.add(q.id);
  if (typeof q.question !== 'string' || !q.question.trim()) { errors.push(`${where}: empty question`); continue; }
  const copied = copiedRun(q.question);
  if (copied) errors.push(`${where}: copies ${COPY_WORDS}+ consecutive words of a document: "${copied}"`);
  if (q.nearMiss === true && q.offTopic === true) errors.push(`${where}: nearMiss and offTopic both set`);
  else if (q.nearMiss === true) {
    counts.nearMiss++;
    if (typeof q.source !== 'string' || !bySource.has(q.source)) errors.push(`${where}: near-miss source "${q.source}" is no chunk's source`);
  } else if (q.offTopic === true) counts.offTopic++;
  else checkAnswerable(q, where);
}
for (const [kind, min] of Object.entries(MIN)) if (counts[kind] < min) errors.push(`only ${counts[kind]} ${kind} questions (need >= ${min})`);
for (const [id, overlap, shared] of offenders) errors.push(`${id}: word overlap ${overlap.toFixed(3)} > ${MAX_OVERLAP} (shares ${shared.join(', ')})`);

const sorted = [...overlaps].sort((a, b) => a - b);
const mid = sorted.length >> 1;
const median = sorted.length ? (sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2) : null;
for (const e of errors) console.log(`ERROR ${e}`);
console.log('');
console.log(`questions:        ${questions.length} (${counts.answerable} answerable, ${counts.nearMiss} near-miss, ${counts.offTopic} off-topic)`);
console.log(`chunks:           ${chunks.length} from ${bySource.size} sources; documents' ${COPY_WORDS}-word runs: ${docGrams.size}`);
console.log(`overlap median:   ${median === null ? '-' : median.toFixed(3)} over ${overlaps.length} questions; above ${MAX_OVERLAP}: ${offenders.length}`);
console.log(`errors: ${errors.length}`);
process.exit(errors.length ? 1 : 0);
