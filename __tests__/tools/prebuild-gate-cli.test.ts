import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { EXIT_REFUSED, parsePrebuildArgs } from '../../tools/prebuild-cli.js';
import { SAMPLE_CORPUS, SHARED_MODELS, STATIC_MODEL } from '../helpers/models.js';
import { runPrebuildCli as runCli } from '../helpers/prebuild-cli.js';
import { tempDir } from '../helpers/temp.js';

describe('prebuild CLI quality gate flags', () => {
  const base = ['--docs', 'd', '--out', 'o'];

  it('parses --eval and its limits', () => {
    const options = parsePrebuildArgs([...base, '--eval', 'q.json', '--min-recall5', '0.8', '--min-mrr10', '0.5', '--max-drop', '0.05'], {});
    expect(options.qualityGate).toEqual({ questionsFile: 'q.json', minRecallAt5: 0.8, minMrrAt10: 0.5, maxDrop: 0.05 });
    expect(parsePrebuildArgs(base, {}).qualityGate).toBeUndefined();
  });

  it('names the flag and the rule when a limit is wrong or has no questions file', () => {
    expect(() => parsePrebuildArgs([...base, '--min-recall5', '0.8'], {})).toThrow('--min-recall5 needs --eval <questions.json>');
    expect(() => parsePrebuildArgs([...base, '--eval', 'q.json', '--max-drop', '2'], {})).toThrow('--max-drop must be a number from 0 to 1, got "2"');
  });
});

describe('npm run prebuild -- --eval', () => {
  let cleanup: () => Promise<void>;
  let out: string;
  const args = () => ['--docs', SAMPLE_CORPUS, '--out', out, '--model', STATIC_MODEL.model, '--model-dir', SHARED_MODELS, '--no-vectra', '--quiet', '--eval', 'eval/sample-questions.json'];

  beforeAll(async () => {
    let dir: string;
    ({ dir, cleanup } = await tempDir());
    out = path.join(dir, 'index');
  });
  afterAll(() => cleanup());

  it('prints the figures of a build that passes, refuses with exit 3, and skips a current index', async () => {
    const passed = await runCli(args());
    expect(passed.code).toBe(0);
    expect(passed.stdout).toMatch(/^Quality gate passed: hybrid search, 208 answerable questions from eval\/sample-questions\.json/m);
    expect(passed.stdout).toMatch(/^ {2}Recall@5 {2}0\.\d{4} {2}ok$/m);
    const live = await readFile(path.join(out, 'CURRENT'), 'utf8');

    const refused = await runCli([...args(), '--full', '--min-recall5', '0.999']);
    expect(refused.code).toBe(EXIT_REFUSED);
    expect(refused.stderr).toMatch(/^Quality gate REFUSED: hybrid search/m);
    expect(refused.stderr).toMatch(/^ {2}Recall@5 {2}0\.\d{4} {2}min 0\.9990 {2}live 0\.\d{4} \(\+0\.0000, max drop 0\.02\) {2}FAIL$/m);
    expect(refused.stderr).toContain(`prebuild refused: Quality gate refused the new index generation: hybrid Recall@5`);
    expect(refused.stderr).toContain(`${live.trim()} stays live`);
    expect(await readFile(path.join(out, 'CURRENT'), 'utf8')).toBe(live);

    const entries = await readdir(out);
    const skipped = await runCli([...args(), '--if-stale']);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toBe(`Index is current: ${out}\n`);
    expect(await readdir(out)).toEqual(entries);
  }, 60_000);
});
