import { readDocx } from './docx.js';
import { readHtml } from './html.js';
import { readMarkdown } from './markdown.js';
import { readPdf } from './pdf.js';
import type { DocumentReader } from './read-result.js';
import { readText } from './text.js';

export type FileFormat = 'markdown' | 'html' | 'text' | 'pdf' | 'docx';

const EXTENSIONS: Record<string, FileFormat> = {
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.html': 'html',
  '.htm': 'html',
  '.txt': 'text',
  '.pdf': 'pdf',
  '.docx': 'docx',
};

/** The format a file is read as, by its extension; undefined for files the build does not read. */
export function formatOf(file: string): FileFormat | undefined {
  const dot = file.lastIndexOf('.');
  return dot < 0 ? undefined : EXTENSIONS[file.slice(dot).toLowerCase()];
}

/** One reader per format. The PDF and DOCX readers import their libraries only when first called. */
export const READERS: Record<FileFormat, DocumentReader> = {
  markdown: readMarkdown,
  html: readHtml,
  text: readText,
  pdf: readPdf,
  docx: readDocx,
};
