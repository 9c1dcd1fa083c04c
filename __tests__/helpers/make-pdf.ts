/**
 * Minimal PDF 1.4 files written by hand for tests: Helvetica text, one content stream a page,
 * and a cross-reference table with correct byte offsets, so any reader opens them.
 */

/** One page: lines of text from the top, 14 points apart; a blank line leaves a paragraph gap. */
export type PdfPage = string[];

function escapePdfString(text: string): string {
  return text.replace(/[\\()]/g, (c) => `\\${c}`);
}

function pageContent(lines: PdfPage): string {
  if (lines.length === 0) return '';
  const ops = ['BT', '/F1 11 Tf', '14 TL', '72 740 Td'];
  for (const line of lines) ops.push(line ? `(${escapePdfString(line)}) Tj T*` : 'T*');
  ops.push('ET');
  return ops.join('\n');
}

/** Assemble numbered objects (1-based, in order) into a file with its xref table and trailer. */
function assemble(objects: string[], trailerExtra = ''): Buffer {
  let body = '%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xrefAt = Buffer.byteLength(body, 'latin1');
  const rows = offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${rows}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R${trailerExtra} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

function stream(content: string): string {
  return `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`;
}

/** A PDF with a text layer: each page's lines as Helvetica text. `title` goes in the Info dictionary. */
export function makePdf(pages: PdfPage[], options: { title?: string; encrypted?: boolean } = {}): Buffer {
  // 1 catalog, 2 page tree, 3 font, then a page and its content per page, then Info, then Encrypt.
  const first = 4;
  const kids = pages.map((_, i) => `${first + i * 2} 0 R`).join(' ');
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', `<< /Type /Pages /Kids [${kids}] /Count ${pages.length} >>`, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'];
  pages.forEach((lines, i) => {
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${first + i * 2 + 1} 0 R >>`);
    objects.push(stream(pageContent(lines)));
  });
  let trailer = '';
  if (options.title) {
    objects.push(`<< /Title (${escapePdfString(options.title)}) >>`);
    trailer += ` /Info ${objects.length} 0 R`;
  }
  if (options.encrypted) {
    // The standard security handler with keys that match no password, not even the empty one.
    const key = `<${'ab'.repeat(32)}>`;
    objects.push(`<< /Filter /Standard /V 1 /R 2 /O ${key} /U ${key} /P -4 >>`);
    trailer += ` /Encrypt ${objects.length} 0 R /ID [<${'01'.repeat(16)}> <${'01'.repeat(16)}>]`;
  }
  return assemble(objects, trailer);
}

/** A page whose only content is an image, as a scanner writes it: no text layer at all. */
export function makeScannedPdf(): Buffer {
  const pixels = 'ff00ff00';
  const image = `<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /ASCIIHexDecode /Length ${pixels.length + 1} >>\nstream\n${pixels}>\nendstream`;
  const content = 'q 500 0 0 700 50 50 cm /Im1 Do Q';
  return assemble([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>',
    stream(content),
    image,
  ]);
}

/** A `%PDF` header and then nothing a reader can use. */
export function makeCorruptPdf(): Buffer {
  return Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 73 + 11) % 256))]);
}

/** One page of many tiny text items (single characters placed one by one), for the linear-time test. */
export function makeManyItemsPdf(items: number): Buffer {
  const ops = ['BT', '/F1 6 Tf'];
  for (let i = 0; i < items; i++) ops.push(`1 0 0 1 ${20 + (i % 80) * 7} ${760 - Math.floor(i / 80) % 120 * 6} Tm (${String.fromCharCode(97 + (i % 26))}) Tj`);
  ops.push('ET');
  return assemble([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    stream(ops.join('\n')),
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ]);
}
