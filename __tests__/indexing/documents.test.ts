import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isSkipped, listDocuments, loadDocument } from '../../indexing/documents.js';
import { makeCorruptDocx } from '../helpers/make-docx.js';
import { makeCorruptPdf, makePdf } from '../helpers/make-pdf.js';
import { tempDir } from '../helpers/temp.js';

describe('listDocuments and loadDocument', () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    const files: Record<string, string | Buffer> = {
      'guide.pdf': makePdf([['Page one.'], ['Page two.']]),
      'locked.pdf': makePdf([['Locked.']], { encrypted: true }),
      'garbage.pdf': makeCorruptPdf(),
      'cut.docx': await makeCorruptDocx('truncated'),
      'empty.md': '',
      'binary.txt': Buffer.from([0x41, 0, 0x42]),
      'notes.doc': 'an old Word format the build does not read',
    };
    for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
  });
  afterAll(() => cleanup());

  it('lists PDF and Word files with the text formats, and leaves other extensions out', async () => {
    expect(await listDocuments(dir)).toEqual(['binary.txt', 'cut.docx', 'empty.md', 'garbage.pdf', 'guide.pdf', 'locked.pdf']);
  });

  it('loads a PDF with its pages, and gives every unreadable file a reason', async () => {
    const loaded = await Promise.all((await listDocuments(dir)).map((file) => loadDocument(dir, file)));
    const guide = loaded.find((doc) => doc.source === 'guide.pdf')!;
    expect(isSkipped(guide) ? guide.reason : guide.sections.map((s) => s.page)).toEqual([1, 2]);
    expect(Object.fromEntries(loaded.filter(isSkipped).map((doc) => [doc.source, doc.reason]))).toEqual({
      'binary.txt': 'binary content',
      'cut.docx': expect.stringMatching(/^corrupt DOCX \(/),
      'empty.md': 'empty file',
      'garbage.pdf': expect.stringMatching(/^corrupt PDF \(/),
      'locked.pdf': 'encrypted PDF (password required)',
    });
  });
});
