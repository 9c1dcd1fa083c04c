import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import type { CleanDocument } from './clean-text.js';
import { formatOf, READERS } from './readers/formats.js';
import { errorMessage, isUnreadable } from './readers/read-result.js';

export const DEFAULT_INCLUDE = ['**/*.md', '**/*.markdown', '**/*.txt', '**/*.html', '**/*.htm', '**/*.pdf', '**/*.docx'];
export const DEFAULT_EXCLUDE = ['**/node_modules/**', '**/.*/**', '**/.*'];

export interface SourceDocument extends CleanDocument {
  /** Relative to the docs folder, forward slashes. */
  source: string;
}

export interface SkippedDocument {
  source: string;
  reason: string;
}

/** Files under `root` that match the globs, as sorted relative paths. */
export async function listDocuments(root: string, include = DEFAULT_INCLUDE, exclude = DEFAULT_EXCLUDE): Promise<string[]> {
  const included = picomatch(include, { dot: true });
  const excluded = picomatch(exclude, { dot: true });
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .filter((relative) => included(relative) && !excluded(relative) && formatOf(relative) !== undefined)
    .sort();
}

/**
 * Read and clean one document with the reader for its format; a reason instead when it is empty,
 * unreadable, binary where text is expected, scanned, encrypted or corrupt. Never throws for a bad
 * file: a reader that fails unexpectedly becomes a skip reason too.
 */
export async function loadDocument(root: string, source: string): Promise<SourceDocument | SkippedDocument> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path.join(root, source));
  } catch (error) {
    return { source, reason: `unreadable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` };
  }
  if (bytes.length === 0) return { source, reason: 'empty file' };
  const format = formatOf(source) ?? 'text';
  const read = await READERS[format](bytes, source).catch((error: unknown) => ({ reason: `unreadable ${format} (${errorMessage(error)})` }));
  if (isUnreadable(read)) return { source, reason: read.reason };
  if (!read.text.trim() || read.sections.length === 0) return { source, reason: 'no readable text after cleaning' };
  return { source, ...read };
}

export function isSkipped(doc: SourceDocument | SkippedDocument): doc is SkippedDocument {
  return 'reason' in doc;
}
