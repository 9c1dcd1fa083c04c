import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { evaluateFollowUps, parseFollowUps } from '../../evaluation/follow-ups.js';
import { prebuild } from '../../indexing/prebuild.js';
import { loadEmbedderOrReason } from '../../workers/embedder.js';
import { Retriever } from '../../workers/retriever.js';
import { SAMPLE_CORPUS, STATIC_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

describe('follow-up questions over the sample handbook (eval/follow-ups.json)', () => {
  let retriever: Retriever;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    let dir: string;
    ({ dir, cleanup } = await tempDir());
    const indexDir = path.join(dir, 'index');
    await prebuild({ docsDir: SAMPLE_CORPUS, outDir: indexDir, embedding: STATIC_MODEL, vectraExport: false });
    const { embedder } = await loadEmbedderOrReason(STATIC_MODEL);
    retriever = await Retriever.open({ indexDir, embedder });
  }, 120_000);

  afterAll(async () => {
    await cleanup?.();
  });

  it('retrieves more follow-ups with the rule than as they are, and prints the figures', async () => {
    const conversations = parseFollowUps(JSON.parse(await readFile(path.resolve('eval/follow-ups.json'), 'utf8')));
    expect(conversations.length).toBeGreaterThanOrEqual(20);
    const lines: string[] = [];
    for (const mode of ['hybrid', 'lexical'] as const) {
      const report = await evaluateFollowUps((request) => retriever.search(request), conversations, 5, mode);
      lines.push(`${mode}: Recall@5 as asked ${report.recall.asIs}, with the rule ${report.recall.rule}, hand-written standalone ${report.recall.standalone} (${report.conversations} conversations, the rule rewrote ${report.ruleFired})`);
      const changes = report.topicChanges;
      lines.push(`  of which ${changes.conversations} change the topic (the second question stands alone): Recall@5 as asked ${changes.recall.asIs}, with the rule ${changes.recall.rule} (the rule rewrote ${changes.ruleFired})`);
      for (const row of report.rows) lines.push(`  ${row.id} ${row.asIs ? 'Y' : '-'}${row.rule ? 'Y' : '-'}${row.standalone ? 'Y' : '-'} ${row.rewritten}`);
      expect(report.recall.rule).toBeGreaterThan(report.recall.asIs);
    }
    console.log(lines.join('\n'));
  });
});
