import { describe, expect, it } from '@jest/globals';
import { readDocx } from '../../../indexing/readers/docx.js';
import { isUnreadable } from '../../../indexing/readers/read-result.js';
import { makeCorruptDocx, makeDocx } from '../../helpers/make-docx.js';

describe('readDocx', () => {
  it('keeps heading styles as sections and a table as rows', async () => {
    const bytes = await makeDocx([
      { heading: 'Equipment policy' },
      { paragraph: 'Every new hire gets a laptop.' },
      { heading: 'Monitors', level: 2 },
      { paragraph: 'Ask the help desk for a second monitor.' },
      { table: [['Item', 'Budget'], ['Chair', '300 euros']] },
    ]);
    const doc = await readDocx(bytes, 'equipment.docx');
    if (isUnreadable(doc)) throw new Error(doc.reason);
    expect(doc.title).toBe('Equipment policy');
    expect(doc.sections.map((s) => [s.headings.join(' > '), doc.text.slice(s.start, s.end)])).toEqual([
      ['', 'Every new hire gets a laptop.'],
      ['Monitors', 'Ask the help desk for a second monitor.\n\nItem | Budget\nChair | 300 euros'],
    ]);
  });

  it.each(['not-a-docx', 'truncated'] as const)('gives a reason for a %s zip instead of text', async (kind) => {
    const read = await readDocx(await makeCorruptDocx(kind), 'bad.docx');
    expect(isUnreadable(read) && read.reason).toMatch(/^corrupt DOCX \(/);
  });
});
