import type { CleanDocument, Section } from '../clean-text.js';
import { titleFromPath } from '../clean-text.js';
import { pageText, type PlacedText } from './pdf-layout.js';
import { errorMessage, type DocumentReader, type ReadResult } from './read-result.js';

type Pdfjs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
type PdfDocument = Awaited<ReturnType<Pdfjs['getDocument']>['promise']>;

let pdfjs: Promise<Pdfjs> | undefined;

/**
 * pdf.js, loaded on the first PDF only: a build without PDFs never pays for it, and the server
 * never imports this file. Its legacy build is the one for Node; in Node pdf.js runs its worker
 * code in this thread (a "fake worker", imported from the `pdf.worker.mjs` beside it), so no
 * worker file needs configuring, and text extraction needs no canvas.
 */
function loadPdfjs(): Promise<Pdfjs> {
  pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs');
  return pdfjs;
}

/** Why pdf.js could not open a file, as a skip reason (its exceptions carry their kind in `name`). */
function openFailure(error: unknown): string {
  const name = (error as { name?: string } | null)?.name;
  if (name === 'PasswordException') return 'encrypted PDF (password required)';
  if (name === 'InvalidPDFException') return `corrupt PDF (${errorMessage(error)})`;
  return `unreadable PDF (${errorMessage(error)})`;
}

/**
 * The Title of the document's Info dictionary, unless it is what office software fills in by
 * itself: a file name ("Microsoft Word - leave.docx", "scan0001.pdf") or "Untitled".
 */
async function documentTitle(pdf: PdfDocument): Promise<string | undefined> {
  const { info } = await pdf.getMetadata().catch(() => ({ info: undefined }));
  const title = (info as { Title?: unknown } | undefined)?.Title;
  if (typeof title !== 'string') return undefined;
  const text = title.replace(/\s+/g, ' ').trim();
  if (!text || /^untitled$/i.test(text) || /\.(docx?|pdf|odt|rtf|txt|pptx?|xlsx?)$/i.test(text)) return undefined;
  return text;
}

/** Each page's text, in page order; a page without text is an empty string. */
async function pageTexts(pdf: PdfDocument): Promise<string[]> {
  const pages: string[] = [];
  for (let n = 1; n <= pdf.numPages; n++) {
    const page = await pdf.getPage(n);
    const content = await page.getTextContent();
    pages.push(pageText(content.items.filter((item): item is PlacedText & (typeof content.items)[number] => 'str' in item)));
    page.cleanup();
  }
  return pages;
}

/**
 * Pages into one clean text, each page its own section (`page` set, 1-based): a chunk never
 * spans two pages, so every citation of a PDF names one page.
 */
export function pagesToDocument(pages: string[], title: string): CleanDocument {
  const sections: Section[] = [];
  let text = '';
  pages.forEach((page, i) => {
    const body = page.trim();
    if (!body) return;
    if (text) text += '\n\n';
    sections.push({ headings: [], start: text.length, end: text.length + body.length, page: i + 1 });
    text += body;
  });
  return { title, text, sections };
}

/** A PDF's text layer, page by page; scanned, encrypted and corrupt files come back with a reason. */
export const readPdf: DocumentReader = async (bytes, source): Promise<ReadResult> => {
  const { getDocument } = await loadPdfjs();
  // pdf.js takes the buffer over (it may detach it): it gets a copy.
  const task = getDocument({ data: new Uint8Array(bytes), verbosity: 0, isEvalSupported: false, useSystemFonts: false, stopAtErrors: false });
  let pdf: PdfDocument;
  try {
    pdf = await task.promise;
  } catch (error) {
    await task.destroy();
    return { reason: openFailure(error) };
  }
  try {
    const pages = await pageTexts(pdf);
    const doc = pagesToDocument(pages, (await documentTitle(pdf)) ?? titleFromPath(source));
    return doc.sections.length ? doc : { reason: pages.length ? 'no text layer (scanned?)' : 'no pages' };
  } catch (error) {
    return { reason: `unreadable PDF (${errorMessage(error)})` };
  } finally {
    await pdf.destroy();
  }
};
