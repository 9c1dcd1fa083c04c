import { cleanDocument } from '../clean-text.js';
import type { DocumentReader } from './read-result.js';
import { decodeText } from './text-bytes.js';

/** Markdown: front matter, template tags, inline HTML and markup go; headings make the sections. */
export const readMarkdown: DocumentReader = async (bytes, source) => {
  const text = decodeText(bytes);
  return typeof text === 'string' ? cleanDocument(text, 'markdown', source) : text;
};
