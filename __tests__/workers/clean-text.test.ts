import { describe, expect, it } from '@jest/globals';
import { cleanDocument, formatOf } from '../../workers/clean-text.js';

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
    expect(doc.text).toContain('Per diem is $65 a day, see the\nfull table.');
    expect(doc.text).toContain('Note: receipts & tickets');
    expect(doc.text).toContain('Boston | $79');
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

  it('takes the first heading, then the file name, as the title when there is no front matter', () => {
    expect(cleanDocument('## First heading\n\nBody', 'markdown', 'a/b.md').title).toBe('First heading');
    expect(cleanDocument('Just a body', 'markdown', 'a/remote-work_policy.md').title).toBe('Remote work policy');
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

  it('knows which files it reads', () => {
    expect(['a.md', 'b.MARKDOWN', 'c.txt', 'd.html', 'e.pdf'].map(formatOf)).toEqual(['markdown', 'markdown', 'text', 'html', undefined]);
  });
});
