/**
 * Evidence keys: a label on a corpus we may not quote names its evidence by a hash instead of the
 * words, so the project can check an answer quotes the fact without holding the text.
 */
import { createHash } from 'node:crypto';

/** The hash of `words` consecutive normalised tokens of the answering passage. */
export interface EvidenceKey {
  /** How many tokens the hashed span has (1 to 40). */
  words: number;
  /** sha256 (lower-case hex) of those tokens joined with one space. */
  sha256: string;
}

/** Longest span a key may hash: a fact, not a paragraph. */
export const MAX_KEY_WORDS = 40;

/**
 * The tokens of a text as keys are made: Unicode NFKC, lower case, split on every run of
 * characters that are not letters or digits, empty tokens dropped.
 */
export function keyTokens(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The key of a quotation, as a label writer makes one. */
export function evidenceKeyOf(quote: string): EvidenceKey {
  const tokens = keyTokens(quote);
  return { words: tokens.length, sha256: sha256(tokens.join(' ')) };
}

/** Whether some window of `key.words` consecutive tokens of `text` hashes to the key. */
export function containsEvidenceKey(text: string, key: EvidenceKey): boolean {
  const tokens = keyTokens(text);
  const wanted = key.sha256.toLowerCase();
  for (let start = 0; start + key.words <= tokens.length; start++) {
    if (sha256(tokens.slice(start, start + key.words).join(' ')) === wanted) return true;
  }
  return false;
}
