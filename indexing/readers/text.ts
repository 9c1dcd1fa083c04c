import { cleanDocument } from '../clean-text.js';
import type { DocumentReader } from './read-result.js';
import { decodeText } from './text-bytes.js';

/** Plain UTF-8 text: one section, blank lines kept as paragraph breaks. */
export const readText: DocumentReader = async (bytes, source) => {
  const text = decodeText(bytes);
  return typeof text === 'string' ? cleanDocument(text, 'text', source) : text;
};
