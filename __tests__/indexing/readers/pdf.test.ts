import { describe, expect, it } from '@jest/globals';
import type { CleanDocument } from '../../../indexing/clean-text.js';
import { readPdf } from '../../../indexing/readers/pdf.js';
import { isUnreadable } from '../../../indexing/readers/read-result.js';
import { makeCorruptPdf, makeManyItemsPdf, makePdf, makeScannedPdf } from '../../helpers/make-pdf.js';

async function readOk(bytes: Buffer, source = 'guide.pdf'): Promise<CleanDocument> {
  const read = await readPdf(bytes, source);
  if (isUnreadable(read)) throw new Error(`unexpectedly unreadable: ${read.reason}`);
  return read;
}

describe('readPdf', () => {
  it('reads each page into its own section, paragraphs apart and hyphenated line ends joined', async () => {
    const pdf = makePdf(
      [
        ['Expenses', '', 'Receipts are needed for every purchase over forty dol-', 'lars, and kept for a year.'],
        ['Parking', '', 'The garage code is 4417.', 'Visitors sign in at the desk.'],
      ],
      { title: 'Office guide' },
    );
    const doc = await readOk(pdf);
    expect(doc.title).toBe('Office guide');
    expect(doc.sections.map((s) => [s.page, doc.text.slice(s.start, s.end)])).toEqual([
      [1, 'Expenses\n\nReceipts are needed for every purchase over forty dollars, and kept for a year.'],
      [2, 'Parking\n\nThe garage code is 4417. Visitors sign in at the desk.'],
    ]);
  });

  it('titles a PDF without a Title (or with a file name for one) by its file name, and leaves out pages with no text', async () => {
    const doc = await readOk(makePdf([[], ['Only the second page has text.']]), 'docs/travel-rules.pdf');
    expect(doc.title).toBe('Travel rules');
    expect((await readOk(makePdf([['Text.']], { title: 'Microsoft Word - travel.docx' }), 'travel-rules.pdf')).title).toBe('Travel rules');
    expect(doc.sections).toEqual([{ headings: [], start: 0, end: doc.text.length, page: 2 }]);
  });

  it.each([
    ['a scanned page (an image, no text layer)', makeScannedPdf(), 'no text layer (scanned?)'],
    ['an encrypted file', makePdf([['Secret salary bands.']], { encrypted: true }), 'encrypted PDF (password required)'],
    ['garbage after a %PDF header', makeCorruptPdf(), /^corrupt PDF \(/],
  ])('gives a reason for %s instead of text', async (_kind, bytes, reason) => {
    const read = await readPdf(bytes, 'x.pdf');
    expect(isUnreadable(read) ? read.reason : read).toEqual(typeof reason === 'string' ? reason : expect.stringMatching(reason));
  });

  it('reads a page of 20,000 one-letter text items in linear time', async () => {
    // pdf.js and the line rebuilding are linear: about a second here; the bound leaves room for a busy machine.
    const started = performance.now();
    const doc = await readOk(makeManyItemsPdf(20_000));
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(doc.text.replace(/\s/g, '')).toHaveLength(20_000);
  });
});
