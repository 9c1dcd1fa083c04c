import { cleanDocument } from '../clean-text.js';
import { errorMessage, type DocumentReader } from './read-result.js';

/**
 * A Word document through mammoth, loaded on the first DOCX only, to HTML and then the HTML
 * path: heading styles become headings (and so sections), tables pipe rows, lists list items.
 * Images are left out (mammoth would inline each as base64 text for nothing).
 */
export const readDocx: DocumentReader = async (bytes, source) => {
  const { default: mammoth } = await import('mammoth');
  let html: string;
  try {
    html = (await mammoth.convertToHtml({ buffer: bytes }, { convertImage: mammoth.images.imgElement(async () => ({ src: '' })) })).value;
  } catch (error) {
    return { reason: `corrupt DOCX (${errorMessage(error)})` };
  }
  return cleanDocument(html, 'html', source);
};
