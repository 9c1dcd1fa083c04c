import { describe, expect, it } from '@jest/globals';
import { pageText, type PlacedText } from '../../../indexing/readers/pdf-layout.js';

/** A text item at (x, y) in an 10-point font, its width 5 points a character. */
const item = (str: string, x: number, y: number, hasEOL = false): PlacedText => ({ str, transform: [10, 0, 0, 10, x, y], width: str.length * 5, height: 10, hasEOL });

describe('pageText', () => {
  it('puts items on one baseline into a line, with a space only where there is a gap', () => {
    expect(pageText([item('Annual', 72, 700), item('leave', 110, 700), item('s', 135, 700)])).toBe('Annual leaves');
  });

  it('joins the lines of a paragraph and starts a new one after a larger step down', () => {
    const items = [item('First line of', 72, 700, true), item('the paragraph.', 72, 688, true), item('Next paragraph.', 72, 660, true)];
    expect(pageText(items)).toBe('First line of the paragraph.\n\nNext paragraph.');
  });

  it('joins a word hyphenated at a line end when the next line goes on in lower case, and keeps a compound\'s hyphen', () => {
    const items = [item('reimburse-', 72, 700, true), item('ment is paid in the Self-', 72, 688, true), item('Service portal.', 72, 676, true)];
    expect(pageText(items)).toBe('reimbursement is paid in the Self-Service portal.');
  });

  it('shrinks dot leaders as the cleaner does', () => {
    expect(pageText([item('Leave ........ 4', 72, 700)])).toBe('Leave ... 4');
  });
});
