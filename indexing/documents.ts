import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { cleanDocument, formatOf, type CleanDocument } from './clean-text.js';

export const DEFAULT_INCLUDE = ['**/*.md', '**/*.markdown', '**/*.txt', '**/*.html', '**/*.htm'];
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

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Read and clean one document; a reason instead when it is binary, empty or unreadable. */
export async function loadDocument(root: string, source: string): Promise<SourceDocument | SkippedDocument> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path.join(root, source));
  } catch (error) {
    return { source, reason: `unreadable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` };
  }
  if (bytes.length === 0) return { source, reason: 'empty file' };
  if (bytes.subarray(0, 8192).includes(0)) return { source, reason: 'binary content' };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { source, reason: 'not UTF-8 text' };
  }
  const cleaned = cleanDocument(text, formatOf(source) ?? 'text', source);
  if (!cleaned.text.trim() || cleaned.sections.length === 0) return { source, reason: 'no readable text after cleaning' };
  return { source, ...cleaned };
}

export function isSkipped(doc: SourceDocument | SkippedDocument): doc is SkippedDocument {
  return 'reason' in doc;
}
