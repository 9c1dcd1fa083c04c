import { beforeAll, describe, expect, it } from '@jest/globals';
import type { ChunkRecord } from '../../store/chunk-record.js';
import { listDocuments, loadDocument, isSkipped } from '../../indexing/documents.js';
import { chunkDocument, embeddingText } from '../../indexing/chunker.js';
import { cleanDocument, type CleanDocument } from '../../indexing/clean-text.js';
import { TokenCounter } from '../../workers/embedder.js';
import { SAMPLE_CORPUS, TINY_MODEL } from '../helpers/models.js';

const sentence = (i: number) => `Sentence number ${i} explains a rule about reimbursement limits and receipts.`;
const body = (n: number, from = 0) => Array.from({ length: n }, (_, i) => sentence(from + i)).join(' ');

const source = [
  '---', 'title: Expenses', '---',
  '## Receipts', '', body(30), '', body(3, 100),
  '## Approvals', '', '- Managers approve up to $500', '- Directors approve up to $5,000 and', '  anything involving travel abroad', '',
  '### Escalation', '', body(2, 200),
].join('\n');

describe('chunkDocument with the real tokenizer', () => {
  let counter: TokenCounter;
  beforeAll(async () => {
    counter = await TokenCounter.load(TINY_MODEL);
  });

  const params = { maxTokens: 64, overlapTokens: 20, revision: 1 };

  it('keeps every embedded input within the token budget, counted by the tokenizer', () => {
    const doc = cleanDocument(source, 'markdown', 'expenses.md');
    const chunks = chunkDocument(doc, 'expenses.md', params, counter);
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) {
      const tokens = counter.count(embeddingText(chunk)) + 2;
      expect(tokens).toBeLessThanOrEqual(params.maxTokens);
      expect(chunk.tokens).toBe(tokens);
    }
  });

  it('records offsets that locate each chunk in the cleaned text, and never spans two sections', () => {
    const doc = cleanDocument(source, 'markdown', 'expenses.md');
    const chunks = chunkDocument(doc, 'expenses.md', params, counter);
    for (const chunk of chunks) {
      expect(doc.text.slice(chunk.start, chunk.end)).toBe(chunk.text);
      const inside = doc.sections.filter((s) => chunk.start >= s.start && chunk.end <= s.end);
      expect(inside).toHaveLength(1);
      expect(chunk.headings).toEqual(inside[0]!.headings);
    }
    expect(new Set(chunks.map((c) => c.headings.join('>')))).toEqual(new Set(['Receipts', 'Approvals', 'Approvals>Escalation']));
  });

  it('overlaps neighbouring chunks of a section by whole sentences, and keeps list items whole', () => {
    const doc = cleanDocument(source, 'markdown', 'expenses.md');
    const receipts = chunkDocument(doc, 'expenses.md', params, counter).filter((c) => c.headings[0] === 'Receipts');
    for (let i = 1; i < receipts.length; i++) {
      expect(receipts[i]!.start).toBeLessThan(receipts[i - 1]!.end);
      expect(receipts[i]!.text).toMatch(/^Sentence number \d+/);
    }
    const approvals = chunkDocument(doc, 'expenses.md', params, counter).find((c) => c.headings.join('>') === 'Approvals');
    expect(approvals?.text).toContain('- Directors approve up to $5,000 and anything involving travel abroad');
  });

  it('gives ids that stay the same for the same input and change with the text', () => {
    const doc = cleanDocument(source, 'markdown', 'expenses.md');
    const first = chunkDocument(doc, 'expenses.md', params, counter).map((c) => c.id);
    const again = chunkDocument(doc, 'expenses.md', params, counter).map((c) => c.id);
    expect(again).toEqual(first);
    expect(new Set(first).size).toBe(first.length);
    const edited = cleanDocument(source.replace('Managers approve up to $500', 'Managers approve up to $600'), 'markdown', 'expenses.md');
    const changed = chunkDocument(edited, 'expenses.md', params, counter).map((c) => c.id);
    expect(changed.filter((id) => !first.includes(id)).length).toBe(1);
  });

  it('splits a single over-long sentence at words rather than losing its tail', () => {
    const long = `${'word '.repeat(300)}end.`;
    const doc = cleanDocument(`## Long\n\n${long}`, 'markdown', 'long.md');
    const chunks = chunkDocument(doc, 'long.md', { maxTokens: 64, overlapTokens: 0, revision: 1 }, counter);
    expect(chunks.length).toBeGreaterThan(4);
    expect(chunks[chunks.length - 1]!.text.endsWith('end.')).toBe(true);
  });
});

/**
 * A chunk's text: its span of the cleaned text, after the header row of its table when it starts
 * below that header (the header must be the first line of the table the span starts in).
 */
function expectedText(doc: CleanDocument, chunk: ChunkRecord): string {
  const body = doc.text.slice(chunk.start, chunk.end);
  if (!chunk.text.startsWith('| ') || body.startsWith(chunk.text.split('\n', 1)[0]!)) return body;
  const tableStart = doc.text.lastIndexOf('\n\n', chunk.start) + 2;
  const header = doc.text.slice(tableStart, doc.text.indexOf('\n', tableStart));
  expect(header.startsWith('| ')).toBe(true);
  return `${header}\n${body}`;
}

/**
 * What of the cleaned text no chunk carries. Body text must sit inside some chunk's
 * [start, end); the only text outside every section is heading lines, which chunks carry in their
 * trail (or title) instead, so each of those must be named by some chunk.
 */
function lostText(doc: CleanDocument, chunks: ChunkRecord[]): string[] {
  const covered = new Uint8Array(doc.text.length);
  for (const chunk of chunks) covered.fill(1, chunk.start, chunk.end);
  const inSection = new Uint8Array(doc.text.length);
  for (const section of doc.sections) inSection.fill(1, section.start, section.end);
  const named = new Set([doc.title, ...chunks.flatMap((c) => c.headings)].map((h) => h.toLowerCase()));
  const lost: string[] = [];
  let offset = 0;
  for (const line of doc.text.split('\n')) {
    const end = offset + line.length;
    const bodyLost = [...line].some((ch, i) => /\S/.test(ch) && !covered[offset + i] && inSection[offset + i]);
    const headingLost = line.trim() !== '' && !inSection[offset] && !covered[offset] && !named.has(line.trim().toLowerCase());
    if (bodyLost || headingLost) lost.push(line);
    offset = end + 1;
  }
  return lost;
}

describe('chunkDocument loses no text', () => {
  let counter: TokenCounter;
  beforeAll(async () => {
    counter = await TokenCounter.load(TINY_MODEL);
  });

  const check = (doc: CleanDocument, source: string, maxTokens: number) => {
    const chunks = chunkDocument(doc, source, { maxTokens, overlapTokens: 16, revision: 1 }, counter);
    for (const chunk of chunks) {
      expect(chunk.text).toBe(expectedText(doc, chunk));
      expect(counter.count(embeddingText(chunk)) + 2).toBeLessThanOrEqual(maxTokens);
    }
    expect({ source, lost: lostText(doc, chunks) }).toEqual({ source, lost: [] });
    return chunks;
  };

  it('covers every document of the sample corpus', async () => {
    const files = await listDocuments(SAMPLE_CORPUS);
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const doc = await loadDocument(SAMPLE_CORPUS, file);
      if (isSkipped(doc)) throw new Error(`${file}: ${doc.reason}`);
      check(doc, file, 128);
      check(doc, file, 64);
    }
  });

  const longSentence = Array.from({ length: 400 }, (_, i) => `clause${i % 7} and`).join(' ');
  const tricky: Record<string, string> = {
    email: 'If you receive a jury summons, forward a copy to people@lanternfish.example within 3 business days. Then wait.',
    decimal: 'Full-time employees accrue 1.67 days of PTO per month. Part-timers accrue 0.5 of that, about 10.02 days.',
    abbreviation: 'Bring ID, e.g. a passport. Tools run on Node.js v20.x, i.e. the LTS, etc. and so on. Dr. Smith agrees.',
    url: 'See https://handbook.example.gov/a.b/c.html?x=1.2#top for details, or www.gsa.gov. Also ftp://x.y.z.',
    quotes: 'One answer is, \u201cWe\u2019re hacking bureaucracy.\u201d Another: "done." (Or this one.) And \u2018single.\u2019 End',
    longSentence: `${longSentence.slice(0, 3000)} with no full stop at all`,
    // A word piece tokenizer reads one word of over 100 characters as [UNK]; punctuation splits it.
    longRun: `Fetch https://x.example.gov/${'a-b.c/'.repeat(500)} once.`,
    cjk: `${'休暇の申請は上司に送ってください。承認は三日以内です！質問はありますか？'.repeat(12)}${'句読点のない長い日本語の文章'.repeat(20)}`,
    list: '- First item with people@lanternfish.example\n- Second item, 1.5 days, and\n  a continuation line.\n1. Numbered e.g. this\n2) Another',
    table: 'Plan | Rate | Notes\n| Basic | 1.5% | e.g. most people\n| Plus | 2.25% | see www.example.com.',
    longTable: `| Plan | Monthly rate | Notes |\n|---|---|---|\n${Array.from({ length: 40 }, (_, i) => `| Plan ${i} | $${i}.50 | for teams of ${i} people |`).join('\n')}`,
    emptyHeadings: 'Intro.\n\n#### 3. OHRM reviews all documents.\n\n#### 4. Security contacts you.\n\nYou have 7 days.\n\n## See also',
  };

  for (const [name, body] of Object.entries(tricky)) {
    it(`covers ${name}`, () => {
      const doc = cleanDocument(`---\ntitle: Tricky\n---\n\n## Section\n\n${body}\n`, 'markdown', `${name}.md`);
      const chunks = check(doc, `${name}.md`, 64);
      check(doc, `${name}.md`, 48);
      if (name === 'email') expect(chunks[0]!.text).toBe(body);
    });
  }

  it('keeps a sentence whole across a dot that does not end it', () => {
    const doc = cleanDocument(`## Jury duty\n\n${body(6)} ${tricky.email} ${body(6, 50)}`, 'markdown', 'jury.md');
    const chunks = chunkDocument(doc, 'jury.md', { maxTokens: 64, overlapTokens: 0, revision: 1 }, counter);
    expect(chunks.some((c) => c.text.includes('If you receive a jury summons, forward a copy to people@lanternfish.example within 3 business days.'))).toBe(true);
    expect(chunks.some((c) => c.text.startsWith('example within'))).toBe(false);
  });
});

describe('chunkDocument on tables', () => {
  let counter: TokenCounter;
  beforeAll(async () => {
    counter = await TokenCounter.load(TINY_MODEL);
  });

  const rows = Array.from({ length: 30 }, (_, i) => `| Grade ${i} | ${i + 10} days of leave | approved by the director of team ${i} |`);
  const markdown = `---\ntitle: Leave\n---\n## Allowance\n\nThe allowance by grade:\n\n| Grade | Annual leave | Approval |\n|---|---|---|\n${rows.join('\n')}\n\nAsk HR about exceptions.`;

  it('splits a long table between rows, repeating the header row at the top of every chunk that starts inside it', () => {
    const doc = cleanDocument(markdown, 'markdown', 'leave.md');
    const params = { maxTokens: 96, overlapTokens: 16, revision: 1 };
    const chunks = chunkDocument(doc, 'leave.md', params, counter);
    const withRows = chunks.filter((c) => c.text.includes('| Grade '));
    expect(withRows.length).toBeGreaterThan(3);
    for (const chunk of withRows) {
      const lines = chunk.text.split('\n');
      // Every row line is whole: the header, rows from the source, and at most prose around them.
      for (const line of lines.filter((l) => l.startsWith('|'))) expect(line === '| Grade | Annual leave | Approval |' || rows.includes(line)).toBe(true);
      expect(lines.filter((l) => l.startsWith('| Grade ') && !l.startsWith('| Grade |')).length).toBeGreaterThan(0);
      expect(chunk.text).toContain('| Grade | Annual leave | Approval |');
      expect(counter.count(embeddingText(chunk)) + 2).toBeLessThanOrEqual(params.maxTokens);
      expect(chunk.tokens).toBe(counter.count(embeddingText(chunk)) + 2);
    }
    // Offsets still locate the rows: the repeated header sits before `start`, the rows at it.
    const later = withRows.slice(1);
    for (const chunk of later) {
      expect(chunk.text).toBe(`| Grade | Annual leave | Approval |\n${doc.text.slice(chunk.start, chunk.end)}`);
      expect(doc.text.slice(chunk.start, chunk.end).startsWith('| Grade ')).toBe(true);
    }
    const covered = new Set(later.concat(withRows[0]!).flatMap((c) => c.text.split('\n')));
    for (const row of rows) expect(covered.has(row)).toBe(true);
  });

  it('does not repeat the header for a chunk that starts at the table', () => {
    const doc = cleanDocument(markdown, 'markdown', 'leave.md');
    const [first] = chunkDocument(doc, 'leave.md', { maxTokens: 96, overlapTokens: 0, revision: 1 }, counter);
    expect(first!.text.startsWith('The allowance by grade:\n\n| Grade | Annual leave | Approval |\n| Grade 0 |')).toBe(true);
    expect(first!.text).toBe(doc.text.slice(first!.start, first!.end));
  });
});
