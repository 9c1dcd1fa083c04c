import { describe, expect, it } from '@jest/globals';
import { checkCitations } from '../../answer/citations.js';

describe('checkCitations', () => {
  it('keeps valid markers and renumbers them in order of first use', () => {
    expect(checkCitations('Leave needs approval [3]. Forms are online [1]. Approval takes a week [3].', 3)).toEqual({
      text: 'Leave needs approval [1]. Forms are online [2]. Approval takes a week [1].',
      cited: [2, 0],
      removed: [],
    });
  });

  it('leaves already ordered markers alone', () => {
    expect(checkCitations('One [1]. Two [2].', 2)).toEqual({ text: 'One [1]. Two [2].', cited: [0, 1], removed: [] });
  });

  it('removes a marker naming no passage, with its leading space, leaving no " ." behind', () => {
    const checked = checkCitations('Leave needs approval [9]. Forms are online [1].', 3);
    expect(checked.text).toBe('Leave needs approval. Forms are online [1].');
    expect(checked.text).not.toContain(' .');
    expect(checked.cited).toEqual([0]);
    expect(checked.removed).toEqual([9]);
  });

  it('removes a bogus marker before a comma or at the end', () => {
    expect(checkCitations('Leave [7], then forms [2]', 2).text).toBe('Leave, then forms [1]');
    expect(checkCitations('Leave needs approval [4]', 2).text).toBe('Leave needs approval');
  });

  it('drops bogus numbers from a list and renumbers the rest', () => {
    const checked = checkCitations('Both say so [1, 9, 2].', 2);
    expect(checked).toEqual({ text: 'Both say so [1, 2].', cited: [0, 1], removed: [9] });
  });

  it('renumbers inside lists by first use, across the whole answer', () => {
    expect(checkCitations('First [3]. Then [2; 3].', 3)).toEqual({ text: 'First [1]. Then [2, 1].', cited: [2, 1], removed: [] });
  });

  it('collapses a number repeated within one list', () => {
    expect(checkCitations('Twice [2, 2].', 2)).toEqual({ text: 'Twice [1].', cited: [1], removed: [] });
    expect(checkCitations('Twice [1,  1 , 2].', 2).text).toBe('Twice [1, 2].');
  });

  it('removes [0], since passages are numbered from 1', () => {
    expect(checkCitations('Zero is no passage [0]. One is [1].', 2)).toEqual({ text: 'Zero is no passage. One is [1].', cited: [0], removed: [0] });
  });

  it('removes every marker when there are no passages', () => {
    expect(checkCitations('Nothing to cite [1].', 0)).toEqual({ text: 'Nothing to cite.', cited: [], removed: [1] });
  });

  it('lists every bogus number it removed, in order, repeats included', () => {
    expect(checkCitations('A [5]. B [1, 7]. C [5].', 1).removed).toEqual([5, 7, 5]);
  });

  it('leaves text without markers unchanged', () => {
    const plain = 'Annual leave is approved by your supervisor. Submit the form in the HR portal, then wait!';
    expect(checkCitations(plain, 3)).toEqual({ text: plain, cited: [], removed: [] });
  });

  it('leaves the indentation of a multi-line answer without markers unchanged', () => {
    const nested = 'Steps:\n- Ask your supervisor.\n    - Use the form.\n- Wait for approval.';
    expect(checkCitations(nested, 3).text).toBe(nested);
  });

  it('expands ranges and checks every number in them', () => {
    expect(checkCitations('Both say so [1-2].', 3)).toMatchObject({ text: 'Both say so [1, 2].', cited: [0, 1] });
    const outOfRange = checkCitations('Made up [7\u20139].', 3);
    expect(outOfRange.text).toBe('Made up.');
    expect(outOfRange.removed).toEqual([7, 8, 9]);
    expect(checkCitations('Trailing comma [2,].', 3)).toMatchObject({ text: 'Trailing comma [1].', cited: [1] });
  });

  it('never joins paragraphs when it removes a marker', () => {
    expect(checkCitations('First [1]\n\n[9] Second.', 2).text).toBe('First [1]\n\n Second.');
  });
});

describe('checkCitations on hostile replies', () => {
  it('scans a long run of blanks in linear time, and still takes the blanks before a marker with it', () => {
    const started = performance.now();
    const checked = checkCitations(`${' '.repeat(200_000)}x`, 3);
    // 100,000 blanks took 10 s before; a linear scan takes milliseconds, whatever the machine is doing.
    expect(performance.now() - started).toBeLessThan(5000);
    expect(checked.cited).toEqual([]);
    expect(checkCitations('Text.    [9] More [1].', 1).text).toBe('Text. More [1].');
  });
});
