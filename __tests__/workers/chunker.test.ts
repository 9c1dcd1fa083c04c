import { beforeAll, describe, expect, it } from '@jest/globals';
import { chunkDocument, embeddingText } from '../../workers/chunker.js';
import { cleanDocument } from '../../workers/clean-text.js';
import { TokenCounter } from '../../workers/embedder.js';
import { TINY_MODEL } from '../helpers/models.js';

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
    expect(approvals?.text).toContain('- Directors approve up to $5,000 and\nanything involving travel abroad');
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
