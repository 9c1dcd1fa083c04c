import { describe, expect, it } from '@jest/globals';
import { extractiveAnswer } from '../../answer/extractive.js';
import { approximateTokenCounter, chunkDocument } from '../../indexing/chunker.js';
import { cleanDocument } from '../../indexing/clean-text.js';
import { quotableSentences } from '../../text/sentences.js';
import type { SearchHit } from '../../workers/protocol.js';

const clean = (markdown: string) => cleanDocument(`---\ntitle: Page\n---\n${markdown}`, 'markdown', 'page.md');
const passage = (text: string): SearchHit => ({ id: 'p', source: 'page.md', title: 'Page', headings: [], start: 0, end: text.length, text, score: 1, scores: {} });

describe('a pipe inside a Markdown table cell', () => {
  const rows = (cell: string) => `| Code | Meaning |\n| --- | --- |\n| ${cell} | either of the two shift codes is accepted |\n`;

  it.each([
    ['written as an entity', 'A &#124; B'],
    ['written as a named entity', 'A &vert; B'],
    ['escaped with a backslash', 'A \\| B'],
  ])('%s stays in its cell: the row keeps two columns', (_form, cell) => {
    const doc = clean(rows(cell));
    const answer = extractiveAnswer('Which shift codes are accepted?', [passage(doc.text)]);
    expect(answer).toBe('Code: A | B; Meaning: either of the two shift codes is accepted. [1]');
  });

  it('is no border to the sentence reader either: the cleaned row has two cells', () => {
    const doc = clean(rows('A &#124; B'));
    expect(quotableSentences(doc.text)).toEqual(['Code: A \\| B; Meaning: either of the two shift codes is accepted']);
  });

  it('is plain text in a paragraph, with no backslash left', () => {
    expect(clean('Use A \\| B or C &#124; D as the code.').text).toBe('Use A | B or C | D as the code.');
  });
});

describe('pipes inside a code fence', () => {
  const fenced = 'Count the files:\n\n```\n| name | size |\n| --- | --- |\n| report for the quarter | twelve kilobytes on disk |\nls -l | wc -l\n```\n\nThe count includes hidden files when the flag is set.';

  it('are code, never a table: no row is quoted with headers', () => {
    const doc = clean(fenced);
    const sentences = quotableSentences(doc.text);
    expect(sentences.some((s) => s.startsWith('name:') || s.includes('ls -l, wc -l'))).toBe(false);
    expect(sentences).toContain('The count includes hidden files when the flag is set.');
  });

  it('keep their code on its lines, the rule line included', () => {
    const doc = clean(fenced);
    expect(doc.text).toContain('--- \\| ---');
    expect(doc.text.split('\n').filter((line) => /^\|.*\|$/.test(line))).toEqual([]);
  });

  it('keep a plain fence\'s lines that start like a quote as they are', () => {
    expect(clean('```\n>>>> FORWARD TO SECURITY <<<<\n> not a quote\n```').text).toBe('>>>> FORWARD TO SECURITY <<<<\n> not a quote');
  });

  it('are code in a block quote too', () => {
    const doc = clean('> ```\n> a | b\n> --- | ---\n> c | d\n> ```');
    expect(doc.text).toBe('a \\| b\n--- \\| ---\nc \\| d');
  });

  it('never make a chunk repeat a code line as a table header', () => {
    const code = Array.from({ length: 60 }, (_, i) => `| step ${i} | run the command number ${i} of the migration script |`).join('\n');
    const doc = clean(`Migration notes.\n\n\`\`\`\n${code}\n\`\`\``);
    const chunks = chunkDocument(doc, 'page.md', { maxTokens: 64, overlapTokens: 0, revision: 1 }, approximateTokenCounter(64));
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks.slice(1)) expect(chunk.text.startsWith('| step 0 |')).toBe(false);
  });
});

describe('a line with pipes over a --- line', () => {
  it('is a setext heading when the --- line has fewer cells than it (GFM: no table)', () => {
    const doc = clean('Input | Output\n---\n\nEvery input gives one output.');
    expect(doc.text).toBe('Input | Output\n\nEvery input gives one output.');
    expect(doc.sections).toEqual([expect.objectContaining({ headings: ['Input | Output'] })]);
  });

  it('is a setext heading with outer pipes too', () => {
    const doc = clean('| Input | Output |\n---\n\nEvery input gives one output.');
    expect(doc.sections.map((s) => s.headings)).toEqual([['| Input | Output |']]);
  });

  it('is a table header when the delimiter row has as many cells', () => {
    expect(clean('Input | Output\n--- | ---\nA | B').text).toBe('| Input | Output |\n| A | B |');
    expect(clean('| Input |\n---\n| A |').text).toBe('| Input |\n| A |');
  });
});

describe('a line of bare cells (an HTML table with no header row)', () => {
  it('keeps an escaped pipe inside its cell when read as "cell, cell"', () => {
    const sentences = quotableSentences('Shift codes in use this year | A \\| B | either code is accepted on the timesheet');
    expect(sentences).toEqual(['Shift codes in use this year, A \\| B, either code is accepted on the timesheet']);
  });
});
