import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeCorruptDocx, makeDocx } from './make-docx.js';
import { makePdf, makeScannedPdf } from './make-pdf.js';

/** The question each readable file answers, and what its citation must name. */
export const MIXED_QUESTIONS = [
  { question: 'What is the door code of the bicycle storage room?', source: 'facilities.pdf', page: 2, answer: '7319' },
  { question: 'How many days of sabbatical leave after five years?', source: 'sabbatical.docx', answer: '20 working days' },
  { question: 'Which phone number do I call for the night shift nurse?', source: 'night-shift.html', answer: '555-0142' },
];

/**
 * A folder of company documents as the build meets them: a two-page PDF whose answer is on
 * page 2 only, a Word document, an HTML page, and two files that cannot be read (a scanned PDF
 * with no text layer, a zip that is no Word document).
 */
export async function writeMixedDocuments(dir: string): Promise<void> {
  const pdf = makePdf(
    [
      [
        'Facilities handbook',
        '',
        'The office opens at eight in the morning and closes at seven in the evening on weekdays.',
        'Cleaning staff visit every evening after closing. Meeting rooms are booked in the calendar',
        'and a room left empty for fifteen minutes is released for others to book.',
      ],
      [
        'Bicycle storage',
        '',
        'Cyclists park in the bicycle storage room in the basement, next to the showers.',
        'The door code of the bicycle storage room is 7319; it changes every January.',
      ],
    ],
    { title: 'Facilities handbook' },
  );
  const docx = await makeDocx([
    { heading: 'Sabbatical leave' },
    { paragraph: 'After five years of service you may take a sabbatical.' },
    { heading: 'How long it lasts', level: 2 },
    { paragraph: 'A sabbatical after five years of service lasts 20 working days, on full pay.' },
    { table: [['Years of service', 'Sabbatical'], ['5', '20 working days'], ['10', '30 working days']] },
  ]);
  const html = `<!doctype html><html><head><title>Night shift</title><script>var tracking = "sabbatical";</script>
    <style>body { font-family: serif }</style></head><body><h1>Night shift</h1>
    <p>Night shift staff work from ten in the evening to six in the morning.</p>
    <h2>Contacts</h2><table><tr><th>Role</th><th>Phone number</th></tr><tr><td>Night shift nurse</td><td>555-0142</td></tr></table>
    </body></html>`;
  await writeFile(path.join(dir, 'facilities.pdf'), pdf);
  await writeFile(path.join(dir, 'sabbatical.docx'), docx);
  await writeFile(path.join(dir, 'night-shift.html'), html);
  await writeFile(path.join(dir, 'scanned-contract.pdf'), makeScannedPdf());
  await writeFile(path.join(dir, 'broken.docx'), await makeCorruptDocx('not-a-docx'));
}
