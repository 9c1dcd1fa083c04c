import type { Unreadable } from './read-result.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes of a text format as a string; a reason instead when they are binary or not UTF-8. */
export function decodeText(bytes: Buffer): string | Unreadable {
  if (bytes.subarray(0, 8192).includes(0)) return { reason: 'binary content' };
  try {
    return utf8.decode(bytes);
  } catch {
    return { reason: 'not UTF-8 text' };
  }
}
