import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { evidenceKeyOf } from '../../evaluation/evidence-key.js';
import type { AnswerableQuestion } from '../../evaluation/questions.js';
import { corpusVocabulary, questionOverlap, summarizeOverlap, type OverlapChunk } from '../../evaluation/word-overlap.js';
import { tempDir } from '../helpers/temp.js';

/** Our own fixture text: section i of doc (i mod 6) states item i's allowance. */
const CHUNKS: OverlapChunk[] = Array.from({ length: 60 }, (_, i) => ({
  source: `doc${i % 6}.md`,
  title: `Document ${i % 6}`,
  headings: [`Section ${i}`],
  text: `Section ${i} says the allowance for item ${i} is ${i * 10} dollars per month, approved by the finance lead.`,
}));

/** Paraphrases whose overlap varies with i (0, 0.2 or 0.33), so the median tells the rules apart. */
function cleanSet(): Record<string, unknown>[] {
  const answerable = CHUNKS.map((c, i) => ({
    id: `a${i}`,
    question: ['How much money can I claim for thing number', 'What allowance covers thing number', 'Which finance allowance covers thing number'][i % 3] + ` ${i}?`,
    source: c.source,
    heading: c.headings[0],
    evidenceKey: evidenceKeyOf(`allowance for item ${i} is ${i * 10} dollars`),
    style: i % 2 ? 'short' : 'plain',
  }));
  const nearMiss = Array.from({ length: 10 }, (_, i) => ({ id: `n${i}`, question: `Is there a cap on weekend claims, case ${i}?`, nearMiss: true, source: `doc${i % 6}.md` }));
  const offTopic = Array.from({ length: 15 }, (_, i) => ({ id: `o${i}`, question: `Who won the chess final, round ${i}?`, offTopic: true }));
  return [...answerable, ...nearMiss, ...offTopic];
}

describe('eval/check-paraphrased.mjs', () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    await mkdir(path.join(dir, 'docs'));
    for (let d = 0; d < 6; d++) {
      const body = CHUNKS.filter((c) => c.source === `doc${d}.md`).map((c) => `## ${c.headings[0]}\n\n${c.text}\n`).join('\n');
      await writeFile(path.join(dir, 'docs', `doc${d}.md`), `# Document ${d}\n\n${body}`);
    }
    await writeFile(path.join(dir, 'chunks.json'), JSON.stringify(CHUNKS));
  });
  afterAll(() => cleanup());

  async function check(questions: Record<string, unknown>[]): Promise<{ status: number | null; out: string }> {
    const file = path.join(dir, 'questions.json');
    await writeFile(file, JSON.stringify(questions));
    const run = spawnSync(process.execPath, ['eval/check-paraphrased.mjs', file, path.join(dir, 'chunks.json'), path.join(dir, 'docs')], { encoding: 'utf8' });
    return { status: run.status, out: run.stdout + run.stderr };
  }

  it('passes a clean set and prints the same overlap median as the eval', async () => {
    const questions = cleanSet();
    const { status, out } = await check(questions);
    expect(out).toContain('questions:        85 (60 answerable, 10 near-miss, 15 off-topic)');
    expect(status).toBe(0);
    const vocabulary = corpusVocabulary(CHUNKS);
    const answerable = questions.slice(0, 60) as unknown as AnswerableQuestion[];
    const summary = summarizeOverlap(answerable.map((q) => questionOverlap(q, CHUNKS, vocabulary)));
    expect(summary.median).toBeGreaterThan(0);
    expect(out).toContain(`overlap median:   ${summary.median!.toFixed(3)} over 60 questions; above 0.5: 0`);
  });

  it('names every fault: copying, unmatched labels, missing or absent evidence, bad keys, high overlap, short counts', async () => {
    const questions = cleanSet();
    const q = (i: number) => questions[i]!;
    q(0).question = 'Section 0 says the allowance for item zero?';
    Object.assign(q(1), { heading: 'Nowhere', evidenceKey: undefined });
    q(2).evidenceKey = evidenceKeyOf('words that are nowhere');
    q(3).evidenceKey = { words: 5, sha256: 'xyz' };
    q(4).question = 'What allowance is approved by the finance lead for an item?';
    q(60).source = 'missing.md';
    const { status, out } = await check(questions.slice(0, -5));
    expect(status).toBe(1);
    expect(out).toContain('ERROR item 0 (a0): copies 6+ consecutive words of a document: "section 0 says the allowance for"');
    expect(out).toContain('ERROR item 1 (a1): no chunk of doc1.md matches heading "Nowhere" or holds the evidence');
    expect(out).toContain('ERROR item 1 (a1): needs evidence or evidenceKey');
    expect(out).toContain('ERROR item 2 (a2): its evidenceKey is in no chunk of doc2.md under "Section 2"');
    expect(out).toContain('ERROR item 3 (a3): evidenceKey.sha256 must be 64 hex digits');
    expect(out).toContain('ERROR item 60 (n0): near-miss source "missing.md" is no chunk\'s source');
    expect(out).toContain('ERROR only 10 offTopic questions (need >= 15)');
    expect(out).toMatch(/ERROR a4: word overlap 1\.000 > 0\.5 \(shares allowanc, approv, financ, lead, item\)/);
    expect(out).toMatch(/above 0\.5: 2\n/);
  });
});
