import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { EXIT_FAILED, parsePrebuildArgs, USAGE } from '../../tools/prebuild-cli.js';
import { writeMixedDocuments } from '../helpers/mixed-documents.js';
import { SHARED_MODELS, STATIC_MODEL } from '../helpers/models.js';
import { runPrebuildCli as runCli } from '../helpers/prebuild-cli.js';
import { tempDir } from '../helpers/temp.js';

describe('npm run prebuild -- --strict', () => {
  let cleanup: () => Promise<void>;
  let docs: string;
  let out: string;
  const args = () => ['--docs', docs, '--out', out, '--model', STATIC_MODEL.model, '--model-dir', SHARED_MODELS, '--lexical-only', '--quiet'];

  beforeAll(async () => {
    let dir: string;
    ({ dir, cleanup } = await tempDir());
    docs = path.join(dir, 'docs');
    out = path.join(dir, 'index');
    await mkdir(docs);
    await writeMixedDocuments(docs);
  });
  afterAll(() => cleanup());

  it('parses the flag and lists the formats in the usage', () => {
    expect(parsePrebuildArgs(['--docs', 'd', '--out', 'o', '--strict'], {}).strict).toBe(true);
    expect(parsePrebuildArgs(['--docs', 'd', '--out', 'o'], {}).strict).toBe(false);
    expect(USAGE).toContain('.pdf, .docx');
  });

  it('names each skipped file and its reason in the summary, and fails a strict build over them', async () => {
    const lenient = await runCli(args());
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(/^ {2}documents {3}3 \(2 skipped/m);
    expect(lenient.stdout).toMatch(/^ {4}skipped {3}broken\.docx: corrupt DOCX \(/m);
    expect(lenient.stdout).toContain('    skipped   scanned-contract.pdf: no text layer (scanned?)');

    const strict = await runCli([...args(), '--strict']);
    expect(strict.code).toBe(EXIT_FAILED);
    expect(strict.stderr).toMatch(/^prebuild failed: Strict build: 2 document\(s\) in .* could not be read: broken\.docx \(corrupt DOCX/m);
  });
});
