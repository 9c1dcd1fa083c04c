import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { containsEvidenceKey, evidenceKeyOf, keyTokens } from '../../evaluation/evidence-key.js';

const PASSAGE = 'Staff who are called for jury service keep their full regular pay\nfor up to 15 working days; after that, talk to People Ops.';

describe('keyTokens', () => {
  it('normalises as the question-set format says: NFKC, lower case, split on non-letters and non-digits', () => {
    // NFKC folds the ligature "ﬁ" and the full-width digits; accents stay letters.
    expect(keyTokens('  The ﬁle’s CAFÉ — costs ＄１２,50!\n')).toEqual(['the', 'file', 's', 'café', 'costs', '12', '50']);
    expect(keyTokens('...')).toEqual([]);
  });
});

describe('evidenceKeyOf', () => {
  it('hashes the joined tokens with sha256 and counts them', () => {
    const key = evidenceKeyOf('Full regular pay, for up to 15 working days');
    expect(key).toEqual({ words: 9, sha256: createHash('sha256').update('full regular pay for up to 15 working days').digest('hex') });
  });
});

describe('containsEvidenceKey', () => {
  it('finds a quote inside a longer text across punctuation, case and line breaks', () => {
    expect(containsEvidenceKey(PASSAGE, evidenceKeyOf('FULL REGULAR PAY for up to 15 working-days'))).toBe(true);
    expect(containsEvidenceKey(PASSAGE, evidenceKeyOf('keep their full regular pay — for up to'))).toBe(true);
  });

  it('finds a window at the very start and at the very end', () => {
    expect(containsEvidenceKey(PASSAGE, evidenceKeyOf('Staff who are called'))).toBe(true);
    expect(containsEvidenceKey(PASSAGE, evidenceKeyOf('talk to People Ops'))).toBe(true);
    expect(containsEvidenceKey('exactly these words', evidenceKeyOf('Exactly these words.'))).toBe(true);
  });

  it('does not find words the text lacks, out of order, split by another word, or a key longer than the text', () => {
    expect(containsEvidenceKey(PASSAGE, evidenceKeyOf('full regular pay for up to 10 working days'))).toBe(false);
    expect(containsEvidenceKey(PASSAGE, evidenceKeyOf('regular full pay'))).toBe(false);
    expect(containsEvidenceKey(PASSAGE, evidenceKeyOf('their regular pay'))).toBe(false);
    expect(containsEvidenceKey('talk to', evidenceKeyOf('talk to People Ops'))).toBe(false);
    // Whole tokens only: "5 working days" is not inside "15 working days".
    expect(containsEvidenceKey(PASSAGE, evidenceKeyOf('5 working days'))).toBe(false);
  });

  it('reads an upper-case hex key as the same key', () => {
    const key = evidenceKeyOf('talk to People Ops');
    expect(containsEvidenceKey(PASSAGE, { ...key, sha256: key.sha256.toUpperCase() })).toBe(true);
  });
});
