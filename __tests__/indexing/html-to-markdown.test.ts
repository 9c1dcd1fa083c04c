import { describe, expect, it } from '@jest/globals';
import { cleanDocument } from '../../indexing/clean-text.js';
import { htmlToMarkdown } from '../../indexing/html-to-markdown.js';

const PAGE = `<!doctype html>
<html><head><title>Benefits &amp; Pay</title><style>h1 { color: red }</style>
<script>document.write("<p>not text</p>")</script></head>
<body>
<template><p>Template text</p></template>
<svg><title>Icon</title><text>chart label</text></svg>
<!-- a comment -->
<h1>Benefits &amp; Pay</h1>
<p>Pay day is the <em>last</em> working&nbsp;day of the month.</p>
<h2>Pension <small>(all staff)</small></h2>
<p>We pay 5&#37; into your pension.<br>Matching starts after probation.</p>
<table><thead><tr><th>Plan</th><th>Rate | note</th></tr></thead>
<tbody><tr><td>Basic</td><td>5%<br>yearly</td></tr><tr><td>Plus<td>7%</tr></tbody></table>
<ul><li>Dental<li>Vision</ul>
<pre>line one
  line two</pre>
</body></html>`;

describe('htmlToMarkdown', () => {
  it('turns a page into Markdown: title, headings, entities, breaks, tables with a header, lists, pre', () => {
    const { markdown, title } = htmlToMarkdown(PAGE, 'collapse');
    expect(title).toBe('Benefits & Pay');
    for (const gone of ['not text', 'Template text', 'chart label', 'Icon', 'color: red', 'a comment']) expect(markdown).not.toContain(gone);
    expect(markdown).toContain('# Benefits &amp; Pay');
    expect(markdown).toContain('## Pension (all staff)');
    expect(markdown).toContain('| Plan | Rate \\| note |\n| --- | --- |\n| Basic | 5% yearly |\n| Plus | 7% |');
    expect(markdown).toContain('line one\n  line two');
  });

  it('cleans the page into the same shape as Markdown: sections under headings, a pipe table', () => {
    const doc = cleanDocument(PAGE, 'html', 'benefits.html');
    expect(doc.title).toBe('Benefits & Pay');
    expect(doc.sections.map((s) => [s.headings.join(' > '), doc.text.slice(s.start, s.end)])).toEqual([
      ['', 'Pay day is the last working day of the month.'],
      ['Pension (all staff)', 'We pay 5% into your pension.\nMatching starts after probation.\n\n| Plan | Rate \\| note |\n| Basic | 5% yearly |\n| Plus | 7% |\n\n- Dental\n- Vision\n\nline one\n  line two'],
    ]);
  });

  it('keeps the line structure of inline HTML in Markdown, and autolinks as text', () => {
    const doc = cleanDocument('## Contact\n\nWrite to <help@example.com> or see <https://example.com/help>.\n\n<details><summary>More</summary>\nAsk <b>Ann</b>.\n</details>\n', 'markdown', 'c.md');
    expect(doc.text).toBe('Contact\n\nWrite to help@example.com or see https://example.com/help.\n\nMore\n\nAsk Ann.');
  });
});

describe('hostile HTML converts in linear time', () => {
  // About a megabyte each. A parser that keeps open elements in an array it unshifts (htmlparser2's
  // Parser) took a minute on the nesting case; linear is tens of milliseconds. The bound leaves
  // room for a busy machine.
  const BOUND_MS = 10_000;
  it.each([
    ['nested tags', '<div><span>'.repeat(45_000) + 'x' + '</span></div>'.repeat(45_000)],
    ['unclosed tags', '<div><p><b><i>'.repeat(70_000)],
    ['closing tags that match nothing open', '<div>'.repeat(100_000) + '</span>'.repeat(100_000)],
    ['unclosed table cells', '<table><tr><td>'.repeat(70_000)],
    ['an attribute that never ends', `<a href="${'x'.repeat(1_000_000)}`],
    ['a megabyte of <', '<'.repeat(1_000_000)],
  ])('%s', (_kind, html) => {
    for (const format of ['html', 'markdown'] as const) {
      const started = performance.now();
      cleanDocument(html, format, `hostile.${format}`);
      expect(performance.now() - started).toBeLessThan(BOUND_MS);
    }
  });
});
