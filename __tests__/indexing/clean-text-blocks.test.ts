import { describe, expect, it } from '@jest/globals';
import { cleanDocument } from '../../indexing/clean-text.js';

const clean = (markdown: string) => cleanDocument(`---\ntitle: Page\n---\n${markdown}`, 'markdown', 'page.md');

describe('cleanDocument joins hard-wrapped lines and keeps block structure', () => {
  it('joins the lines of a hard-wrapped paragraph, so no sentence breaks at a line end', () => {
    const doc = clean('## Equipment\n\nThe agency does not provide\ndesk chairs or office products. Ask\nyour **manager\nfirst**.\n\nA second paragraph.');
    expect(doc.text).toBe('Equipment\n\nThe agency does not provide desk chairs or office products. Ask your manager first.\n\nA second paragraph.');
    expect(doc.text.slice(doc.sections[0]!.start, doc.sections[0]!.end)).toBe(doc.text.slice(doc.text.indexOf('The agency')));
  });

  it('keeps a hard break (two trailing spaces or a backslash) as a line break', () => {
    expect(clean('First line  \nsecond line\\\nthird line').text).toBe('First line\nsecond line\nthird line');
  });

  it('keeps each list item on its own line, with its wrapped continuation joined to it', () => {
    const doc = clean('Steps:\n1. Open the form\n   on the portal.\n2. Send it\nto HR.\n\n- one item\n  continued\n- another');
    expect(doc.text).toBe('Steps:\n1. Open the form on the portal.\n2. Send it to HR.\n\n- one item continued\n- another');
  });

  it('keeps headings, code fences and quotes apart from the paragraphs around them', () => {
    const doc = clean('Intro line\nwrapped.\n## Next\nBody\n```\nline one\nline two\n```\n> quoted\n> text');
    expect(doc.text).toBe('Intro line wrapped.\n\nNext\nBody\nline one\nline two\nquoted text');
    expect(doc.sections.map((s) => [s.headings.join('>'), doc.text.slice(s.start, s.end)])).toEqual([
      ['', 'Intro line wrapped.'],
      ['Next', 'Body\nline one\nline two\nquoted text'],
    ]);
  });

  it('writes a pipe table as rows with outer pipes, header first, rule gone, empty cells kept, set apart by blank lines', () => {
    const doc = clean('Rates:\n| City | Rate | Note |\n|:--|--:|---|\n| Boston | **$79** | |\n| | $50 | *rural* |\nAfter.');
    expect(doc.text).toBe('Rates:\n\n| City | Rate | Note |\n| Boston | $79 |  |\n|  | $50 | rural |\n\nAfter.');
  });

  it('reads a table without outer pipes and a <br> inside a row', () => {
    expect(clean('Plan | Rate\n--- | ---\nBasic | 1.5%<br>yearly').text).toBe('| Plan | Rate |\n| Basic | 1.5% yearly |');
  });
});

describe('cleanDocument on HTML blocks', () => {
  it('turns a table with a <th> header row into a pipe table, and one without into plain rows', () => {
    const html = '<h2>Office</h2><table><tr><th>Floor</th><th>Room</th></tr><tr><td>3</td><td>Kitchen<br/>and lounge</td></tr></table>'
      + '<table><tr><td><strong>Location</strong></td><td>1 Main St.<br>Springfield</td></tr><tr><td>Contact</td><td>Ann</td></tr></table>';
    const doc = cleanDocument(html, 'html', 'office.html');
    expect(doc.text).toBe('Office\n\n| Floor | Room |\n| 3 | Kitchen and lounge |\n\nLocation | 1 Main St. Springfield\nContact | Ann');
  });

  it('keeps paragraphs and list items apart and <br> as a line break', () => {
    const doc = cleanDocument('<p>One\n  wrapped.</p><p>Two.</p><ul><li>first</li><li>second</li></ul><p>a<br>b</p>', 'html', 'x.html');
    expect(doc.text).toBe('One wrapped.\n\nTwo.\n\n- first\n- second\n\na\nb');
  });
});

describe('hostile documents clean in linear time', () => {
  // Each input took seconds to minutes with the quadratic or cubic patterns it guards against; the
  // bound is far above what a linear pass needs even on a loaded machine, and far below the old cost.
  const BOUND_MS = 5000;
  const timed = (source: string) => {
    const started = performance.now();
    cleanDocument(source, 'markdown', 'hostile.md');
    return performance.now() - started;
  };
  it.each([
    ['a heading ending in a long run of blanks', `# a${' '.repeat(200_000)}x\n\nText.`],
    ['a table rule with a long run of blanks', `| a | b |\n--${' '.repeat(200_000)}x\n`],
    ['a thousand unclosed code fences', '```\nx\n'.repeat(20_000)],
  ])('%s', (_kind, source) => {
    expect(timed(source)).toBeLessThan(BOUND_MS);
  });

  it('still strips a heading\'s closing hashes and reads a table rule', () => {
    const doc = cleanDocument('# Travel ##  \n\nBook early.\n\n| City | Rate |\n| --- | --: |\n| Oslo | 90 |\n', 'markdown', 'x.md');
    expect(doc.text).toContain('Travel');
    expect(doc.text).not.toContain('##');
    expect(doc.text).not.toContain('---');
    expect(doc.text).toContain('| City | Rate |');
  });
});
