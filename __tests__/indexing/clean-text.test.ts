import { describe, expect, it } from '@jest/globals';
import { cleanDocument } from '../../indexing/clean-text.js';
import { formatOf } from '../../indexing/readers/formats.js';

describe('cleanDocument', () => {
  const markdown = [
    '---',
    'title: "Travel & Expenses"',
    'redirect_from:',
    '  - /old/',
    '---',
    '',
    '# Travel & Expenses',
    '',
    'Intro with a [link to the policy](https://example.com/a_(b)) and {% slack_channel "travel" %} here.',
    '',
    '## Meals',
    '',
    'Per diem is **$65** a day, see [the',
    'full table]({% page "/x/" %}).',
    '',
    '<div class="note"><strong>Note:</strong> receipts &amp; tickets</div>',
    '',
    '| City | Rate |',
    '| --- | --- |',
    '| Boston | $79 |',
    '',
    '### Alcohol',
    '',
    'Never reimbursed. {{ site.baseurl }}',
    '',
    '## Lodging',
    '',
    '```',
    'code stays',
    '```',
  ].join('\n');

  it('keeps the front-matter title and readable text, dropping templates, markup and link targets', () => {
    const doc = cleanDocument(markdown, 'markdown', 'travel.md');
    expect(doc.title).toBe('Travel & Expenses');
    expect(doc.text).toContain('Intro with a link to the policy and here.');
    expect(doc.text).toContain('Per diem is $65 a day, see the full table.');
    expect(doc.text).toContain('Note: receipts & tickets');
    expect(doc.text).toContain('| City | Rate |\n| Boston | $79 |');
    expect(doc.text).toContain('code stays');
    expect(doc.text).not.toMatch(/[{}<>]|https?:|\*\*|redirect_from|---/);
  });

  it('records sections with heading trails and offsets into the cleaned text', () => {
    const doc = cleanDocument(markdown, 'markdown', 'travel.md');
    const trails = doc.sections.map((s) => s.headings.join(' > '));
    // The H1 equal to the title is not repeated in every trail.
    expect(trails).toEqual(['', 'Meals', 'Meals > Alcohol', 'Lodging']);
    const alcohol = doc.sections[2]!;
    expect(doc.text.slice(alcohol.start, alcohol.end)).toBe('Never reimbursed.');
    for (const section of doc.sections) expect(section.end).toBeGreaterThan(section.start);
  });

  it('takes an opening H1, then the file name, as the title when there is no front matter', () => {
    expect(cleanDocument('# First heading\n\nBody', 'markdown', 'a/b.md').title).toBe('First heading');
    expect(cleanDocument('Just a body', 'markdown', 'a/remote-work_policy.md').title).toBe('Remote work policy');
    // A lower heading names a part of the page: it stays in the trail of the text under it.
    const doc = cleanDocument('## Background\n\nBody', 'markdown', 'a/remote-work_policy.md');
    expect(doc.title).toBe('Remote work policy');
    expect(doc.sections.map((s) => s.headings)).toEqual([['Background']]);
  });

  it('reads a front-matter title folded over several lines', () => {
    const folded = '---\ntitle:\n  18F Corrective Action Plan for the\n  October 2016 Evaluation\nredirect_from:\n  - /igcap/\n---\n\n## Background\n\nIn October of 2016.';
    const doc = cleanDocument(folded, 'markdown', 'igcap.md');
    expect(doc.title).toBe('18F Corrective Action Plan for the October 2016 Evaluation');
    expect(doc.sections.map((s) => s.headings)).toEqual([['Background']]);
    expect(cleanDocument('---\ntitle: >-\n  Play 4 - Ask\n  questions\n---\nBody', 'markdown', 'p.md').title).toBe('Play 4 - Ask questions');
    expect(cleanDocument('---\ntitle: ""\n---\n## Action Items\n\nBody', 'markdown', 'play-4.md').title).toBe('Play 4');
  });

  it('keeps a heading with nothing under it as a section of its own, so its text is not lost', () => {
    const doc = cleanDocument('---\ntitle: Clearance\n---\n## Process\n\n#### 3. OHRM reviews\n\n#### 4. Security calls\n\nYou have 7 days.\n\n## See also\n', 'markdown', 'c.md');
    expect(doc.sections.map((s) => [s.headings.join(' > '), doc.text.slice(s.start, s.end)])).toEqual([
      ['Process > 3. OHRM reviews', '3. OHRM reviews'],
      ['Process > 4. Security calls', 'You have 7 days.'],
      ['See also', 'See also'],
    ]);
  });

  it('cleans HTML pages: title element, headings as sections, scripts dropped', () => {
    const html = '<html><head><title>Office Hours</title><script>var x = 1;</script></head><body><h1>Office Hours</h1><p>Open 9&ndash;5.</p><h2>Weekends</h2><p>Closed.</p></body></html>';
    const doc = cleanDocument(html, 'html', 'hours.html');
    expect(doc.title).toBe('Office Hours');
    expect(doc.text).not.toContain('var x');
    expect(doc.sections.map((s) => [s.headings.join('>'), doc.text.slice(s.start, s.end)])).toEqual([
      ['', 'Open 9–5.'],
      ['Weekends', 'Closed.'],
    ]);
  });

  it('treats .txt as plain text with one section', () => {
    const doc = cleanDocument('Line one\r\n\r\n\r\nLine two  \n', 'text', 'notes/read_me.txt');
    expect(doc.text).toBe('Line one\n\nLine two');
    expect(doc.sections).toEqual([{ headings: [], start: 0, end: doc.text.length }]);
  });

  it('shrinks runs of sentence marks, such as dot leaders, to three', () => {
    const leaders = `Contents\n\nLeave ${'.'.repeat(32_000)} 4\n\nWhat?!?!?! Yes... No.. Wait!!!!`;
    for (const format of ['text', 'markdown'] as const) {
      expect(cleanDocument(leaders, format, 'toc.md').text).toBe('Contents\n\nLeave ... 4\n\nWhat?!? Yes... No.. Wait!!!');
    }
  });

  it('knows which files it reads', () => {
    expect(['a.md', 'b.MARKDOWN', 'c.txt', 'd.html', 'e.PDF', 'f.docx', 'g.doc', 'README'].map(formatOf)).toEqual(['markdown', 'markdown', 'text', 'html', 'pdf', 'docx', undefined, undefined]);
  });
});
