#!/usr/bin/env node
// Validates eval/18f-questions.json (labelled questions for the 18F/TTS handbook)
// against the chunks of a built index.
//
// Usage:
//   node eval/check-18f-questions.mjs <generation folder>/chunks.jsonl [pagesDir]
//
// pagesDir defaults to ../shared/corpora/18f-handbook/pages relative to the repo
// root (the folder above eval/).
//
// A chunk is a hit for an answerable question when
//   chunk.source === q.source &&
//   (q.heading === "" ? chunk.headings.length === 0 : chunk.headings.includes(q.heading))
//
// Checks (errors => exit 1):
//   - unique, non-empty ids; off-topic ids start with "o", answerable ids do not
//   - answerable: non-empty question, string source/heading, source present among
//     chunk sources, at least one hit chunk, known tags only
//   - off-topic: offTopic === true, no source/heading
//   - >= 125 answerable and >= 22 off-topic questions
//   - no more than 5 questions per source file
//   - no question shares a run of 8+ consecutive words with its source page
//     (lower-cased, punctuation stripped)
// Warnings: a label matching more than 6 chunks; unknown keys.
import { readFileSync, existsSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadJson } from './read-json.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..');

const chunksPath = process.argv[2];
if (!chunksPath) {
  console.error('usage: node eval/check-18f-questions.mjs <chunks.json> [pagesDir]');
  process.exit(2);
}
const pagesDir = resolve(process.argv[3] ?? join(repoRoot, '..', 'shared', 'corpora', '18f-handbook', 'pages'));
const questionsPath = join(here, '18f-questions.json');

const MIN_ANSWERABLE = 125;
const MIN_OFFTOPIC = 22;
const MAX_PER_FILE = 5;
const WARN_CHUNKS_ABOVE = 6;
const NGRAM = 8;
const TAGS = new Set(['number', 'acronym', 'ambiguous', 'paraphrase']);
const ANSWERABLE_KEYS = new Set(['id', 'question', 'source', 'heading', 'tags']);
const OFFTOPIC_KEYS = new Set(['id', 'question', 'offTopic', 'tags']);

const errors = [];
const warnings = [];


const raw = loadJson(chunksPath, 'chunks');
const chunks = Array.isArray(raw) ? raw : Array.isArray(raw?.chunks) ? raw.chunks : null;
if (!chunks) {
  console.error(`${chunksPath}: expected an array of chunks (or { chunks: [...] })`);
  process.exit(1);
}
const questions = loadJson(questionsPath, 'questions');
if (!Array.isArray(questions)) {
  console.error(`${questionsPath}: expected a JSON array`);
  process.exit(1);
}

// Index chunks by source.
const bySource = new Map();
for (const c of chunks) {
  if (typeof c?.source !== 'string' || !Array.isArray(c?.headings)) continue;
  if (!bySource.has(c.source)) bySource.set(c.source, []);
  bySource.get(c.source).push(c);
}

// Text normalisation for the copy guard.
function words(text) {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
}
const pageGrams = new Map();
function gramsOf(source) {
  if (pageGrams.has(source)) return pageGrams.get(source);
  const p = join(pagesDir, source);
  let set = null;
  if (existsSync(p)) {
    const w = words(readFileSync(p, 'utf8'));
    set = new Set();
    for (let i = 0; i + NGRAM <= w.length; i++) set.add(w.slice(i, i + NGRAM).join(' '));
  }
  pageGrams.set(source, set);
  return set;
}

const seenIds = new Set();
const perFile = new Map();
const matchCounts = [];
let answerable = 0;
let offTopic = 0;
let tagged = 0;

for (const [idx, q] of questions.entries()) {
  const where = `item #${idx}${q && q.id ? ` (${q.id})` : ''}`;
  if (!q || typeof q !== 'object') {
    errors.push(`${where}: not an object`);
    continue;
  }
  if (typeof q.id !== 'string' || !q.id.trim()) errors.push(`${where}: missing id`);
  else if (seenIds.has(q.id)) errors.push(`${where}: duplicate id`);
  else seenIds.add(q.id);
  if (typeof q.question !== 'string' || !q.question.trim()) errors.push(`${where}: empty question`);
  if (q.tags !== undefined) {
    if (!Array.isArray(q.tags) || q.tags.some((t) => !TAGS.has(t))) errors.push(`${where}: bad tags ${JSON.stringify(q.tags)}`);
    else if (q.tags.length) tagged++;
  }

  if (q.offTopic === true) {
    offTopic++;
    if (typeof q.id === 'string' && !q.id.startsWith('o')) errors.push(`${where}: off-topic id must start with "o"`);
    if ('source' in q || 'heading' in q) errors.push(`${where}: off-topic item must not have source/heading`);
    for (const k of Object.keys(q)) if (!OFFTOPIC_KEYS.has(k)) warnings.push(`${where}: unknown key "${k}"`);
    continue;
  }
  if ('offTopic' in q) errors.push(`${where}: offTopic must be true or absent`);

  answerable++;
  for (const k of Object.keys(q)) if (!ANSWERABLE_KEYS.has(k)) warnings.push(`${where}: unknown key "${k}"`);
  if (typeof q.id === 'string' && q.id.startsWith('o')) errors.push(`${where}: answerable id must not start with "o"`);
  if (typeof q.source !== 'string' || !q.source) {
    errors.push(`${where}: missing source`);
    continue;
  }
  if (typeof q.heading !== 'string') {
    errors.push(`${where}: heading must be a string ("" for text before the first heading)`);
    continue;
  }
  perFile.set(q.source, (perFile.get(q.source) ?? 0) + 1);

  const srcChunks = bySource.get(q.source);
  if (!srcChunks) {
    errors.push(`${where}: source "${q.source}" not found among chunk sources`);
  } else {
    const hits = srcChunks.filter((c) =>
      q.heading === '' ? c.headings.length === 0 : c.headings.includes(q.heading),
    ).length;
    matchCounts.push([q.id, hits]);
    if (hits === 0) errors.push(`${where}: no chunk of ${q.source} matches heading ${JSON.stringify(q.heading)}`);
    else if (hits > WARN_CHUNKS_ABOVE) warnings.push(`${where}: label matches ${hits} chunks (> ${WARN_CHUNKS_ABOVE})`);
  }

  // Copy guard: no run of NGRAM consecutive words shared with the source page.
  if (typeof q.question === 'string') {
    const grams = gramsOf(q.source);
    if (!grams) {
      errors.push(`${where}: page file not found: ${join(pagesDir, q.source)}`);
    } else {
      const w = words(q.question);
      for (let i = 0; i + NGRAM <= w.length; i++) {
        const g = w.slice(i, i + NGRAM).join(' ');
        if (grams.has(g)) {
          errors.push(`${where}: question shares ${NGRAM}+ consecutive words with its page: "${g}"`);
          break;
        }
      }
    }
  }
}

for (const [file, n] of perFile) {
  if (n > MAX_PER_FILE) errors.push(`${file}: ${n} questions (max ${MAX_PER_FILE})`);
}
if (answerable < MIN_ANSWERABLE) errors.push(`only ${answerable} answerable questions (need >= ${MIN_ANSWERABLE})`);
if (offTopic < MIN_OFFTOPIC) errors.push(`only ${offTopic} off-topic questions (need >= ${MIN_OFFTOPIC})`);

// Report.
console.log('Chunks matching each label (id:count):');
const cells = matchCounts.map(([id, n]) => `${id}:${n}`);
for (let i = 0; i < cells.length; i += 10) console.log('  ' + cells.slice(i, i + 10).join(' '));
const hist = new Map();
for (const [, n] of matchCounts) {
  const b = n === 0 ? '0' : n === 1 ? '1' : n <= 3 ? '2-3' : n <= WARN_CHUNKS_ABOVE ? `4-${WARN_CHUNKS_ABOVE}` : `>${WARN_CHUNKS_ABOVE}`;
  hist.set(b, (hist.get(b) ?? 0) + 1);
}
const topFolders = new Map();
for (const f of perFile.keys()) {
  const top = f.includes('/') ? f.split('/')[0] : f;
  topFolders.set(top, (topFolders.get(top) ?? 0) + 1);
}
for (const w of warnings) console.log(`WARN  ${w}`);
for (const e of errors) console.log(`ERROR ${e}`);
console.log('');
console.log(`chunks file:        ${chunksPath} (${chunks.length} chunks, ${bySource.size} sources)`);
console.log(`pages dir:          ${pagesDir}`);
console.log(`questions:          ${questions.length}`);
console.log(`answerable:         ${answerable} (tagged hard: ${tagged})`);
console.log(`off-topic:          ${offTopic}`);
console.log(`files covered:      ${perFile.size} of ${bySource.size}`);
console.log(`top-level folders:  ${[...topFolders].map(([k, v]) => `${k}=${v}`).join(', ')}`);
console.log(`max per file:       ${Math.max(0, ...perFile.values())}`);
console.log(`chunks per label:   ${[...hist].map(([k, v]) => `${k}: ${v}`).join(', ')}`);
console.log(`warnings: ${warnings.length}, errors: ${errors.length}`);
process.exit(errors.length ? 1 : 0);
