/**
 * Synthetic but meaningful documents for `npm run bench:scale`: sentences people wrote, taken from
 * documentation already on the machine (markdown in node_modules, text in /usr/share/doc), put
 * together into handbook-like pages (a title, sections under headings, paragraphs) by a seeded
 * random generator. Real sentences give the model's vectors a real neighbourhood structure; random
 * vectors would not. Every page is new text (a new mix of sentences), so no two chunks are copies.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Sections a page has; about one chunk each at the default chunk size. */
export const SECTIONS_PER_PAGE = 20;
/** Characters a section's paragraph is filled to: about 110 model tokens with its heading. */
const PARAGRAPH_CHARS = 420;
const MAX_FILES = 6000;
/** A source file with fewer prose sentences is too thin to be a page's topic. */
const MIN_TOPIC_SENTENCES = 8;
/** Share of a page's sentences drawn from other topics: real pages wander a little. */
const OFF_TOPIC = 0.2;

/** A small, seeded generator (mulberry32): the same seed gives the same corpus. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Files under `root` whose name passes `keep`, depth first, at most `limit`. */
function listFiles(root: string, keep: (name: string) => boolean, limit: number): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (out.length >= limit) return;
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry);
      let stats;
      try {
        stats = statSync(full);
      } catch {
        continue;
      }
      if (stats.isDirectory()) walk(full);
      else if (stats.size > 500 && stats.size < 2_000_000 && keep(entry)) out.push(full);
      if (out.length >= limit) return;
    }
  };
  walk(root);
  return out;
}

/** Prose sentences of a markdown or text file: code, tables, links and markup dropped. */
export function proseSentences(text: string): string[] {
  const prose = text
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/`[^`]*`/g, ' ')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, ' ')
    .split('\n')
    .filter((line) => !/^\s*(#|\||[-*+] |\d+\. |>| {4})/.test(line))
    .join(' ')
    .replace(/\s+/g, ' ');
  return prose.split(/(?<=[.!?])\s+(?=[A-Z])/).filter((sentence) => {
    if (sentence.length < 40 || sentence.length > 220) return false;
    if (!/^[A-Z][a-z]/.test(sentence) || !/[a-z][.!?]$/.test(sentence)) return false;
    if (/https?:|www\.|@|\{|\}|\\|=|_|\*|\/\//.test(sentence)) return false;
    const letters = sentence.replace(/[^A-Za-z ]/g, '').length;
    return letters / sentence.length > 0.9;
  });
}

/** Sentences of one source document: a topic, as a page of a handbook has one. */
export type Topic = string[];

/** Distinct prose sentences from the machine's documentation, grouped by the file they came from, in a stable order. */
export function collectTopics(roots: string[]): Topic[] {
  const seen = new Set<string>();
  const topics: Topic[] = [];
  for (const root of roots) {
    if (!existsSync(root)) continue;
    const files = listFiles(root, (name) => /\.(md|markdown|txt)$/i.test(name) || /^(README|NEWS|changelog)(\.\w+)?$/i.test(name), MAX_FILES);
    for (const file of files) {
      const topic = proseSentences(readFileSync(file, 'utf8')).filter((sentence) => !seen.has(sentence) && seen.add(sentence));
      if (topic.length >= MIN_TOPIC_SENTENCES) topics.push(topic);
    }
  }
  return topics;
}

function words(sentence: string, count: number): string {
  return sentence.replace(/[^A-Za-z' ]/g, ' ').split(/\s+/).filter(Boolean).slice(0, count).join(' ');
}

/**
 * One page of markdown about one topic: a title, then sections of a heading and a paragraph of
 * sentences, most from the page's topic and some from any other, so pages on one subject are near
 * each other as a handbook's are (sentences mixed from everywhere would have no such structure).
 */
function page(topics: readonly Topic[], next: () => number): string {
  const topic = topics[Math.floor(next() * topics.length)]!;
  const pick = () => {
    const from = next() < OFF_TOPIC ? topics[Math.floor(next() * topics.length)]! : topic;
    return from[Math.floor(next() * from.length)]!;
  };
  const lines = [`# ${words(pick(), 3 + Math.floor(next() * 4))}`, ''];
  for (let s = 0; s < SECTIONS_PER_PAGE; s++) {
    lines.push(`## ${words(pick(), 2 + Math.floor(next() * 4))}`, '');
    let paragraph = '';
    while (paragraph.length < PARAGRAPH_CHARS) paragraph += `${paragraph ? ' ' : ''}${pick()}`;
    lines.push(paragraph, '');
  }
  return lines.join('\n');
}

/** Write `pages` pages into `dir` (emptied first), a thousand to a folder. */
export async function writeCorpus(dir: string, topics: readonly Topic[], pages: number, seed: number): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const next = random(seed);
  for (let p = 0; p < pages; p++) {
    const folder = path.join(dir, `part-${String(Math.floor(p / 1000)).padStart(3, '0')}`);
    if (p % 1000 === 0) await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, `page-${String(p).padStart(6, '0')}.md`), page(topics, next));
  }
}

/** Questions for the load and the recall: sentences' first words, as a person might type them. */
export function questionsFrom(topics: readonly Topic[], count: number, seed: number): string[] {
  const next = random(seed);
  return Array.from({ length: count }, () => {
    const topic = topics[Math.floor(next() * topics.length)]!;
    return words(topic[Math.floor(next() * topic.length)]!, 5 + Math.floor(next() * 6));
  });
}
