import { cleanDocument } from '../clean-text.js';
import type { DocumentReader } from './read-result.js';
import { decodeText } from './text-bytes.js';

/** An HTML page, read by htmlparser2: headings make the sections, tables become pipe rows. */
export const readHtml: DocumentReader = async (bytes, source) => {
  const text = decodeText(bytes);
  return typeof text === 'string' ? cleanDocument(text, 'html', source) : text;
};
