import { describe, expect, it } from '@jest/globals';
import { DEFAULT_EXTRACTIVE_TUNING, extractiveAnswer, type ExtractiveTuning } from '../../answer/extractive.js';
import type { SearchHit } from '../../workers/protocol.js';

function hit(text: string, index = 0): SearchHit {
  return { id: `chunk-${index}`, source: `doc-${index}.md`, title: `Doc ${index}`, headings: [], start: 0, end: text.length, text, score: 1 / (1 + index), scores: {} };
}

function hits(...texts: string[]): SearchHit[] {
  return texts.map((text, i) => hit(text, i));
}

/**
 * The answer cut into its cited pieces: each sentence with the passage number after it. Checks
 * on the way that every `[n]` names a passage and that nothing but sentence-then-marker is there.
 */
function pieces(answer: string, passages: SearchHit[]): { sentence: string; n: number }[] {
  const numbers = [...answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
  expect(numbers.filter((n) => n < 1 || n > passages.length)).toEqual([]);
  const found = [...answer.matchAll(/\s*([^[\]]+?) \[(\d+)\]/g)].map((m) => ({ sentence: m[1]!, n: Number(m[2]) }));
  expect(found.map((p) => `${p.sentence} [${p.n}]`).join(' ')).toBe(answer);
  return found;
}

const OFFICE = 'The office is open from nine to five on weekdays. Visitors must sign in at the front desk. Parking is available behind the building.';
const LEAVE = 'Parental leave lasts twelve weeks for all employees. Employees request it through the HR portal. Balances reset every January.';

describe('extractiveAnswer', () => {
  it('with sentence similarities, also quotes a paraphrase that shares no word with the question', () => {
    const jury = 'Jury duty is treated as paid time. The company continues your full regular pay for up to 15 working days of service. Forward the summons to People Ops.';
    const passages = hits(jury);
    const question = 'Will I still get my salary if I am picked for a jury?';
    const byWords = extractiveAnswer(question, passages);
    expect(byWords).not.toContain('full regular pay');
    const similarity = { 'Jury duty is treated as paid time.': 0.3, 'The company continues your full regular pay for up to 15 working days of service.': 0.8, 'Forward the summons to People Ops.': 0.1 };
    const byMeaning = extractiveAnswer(question, passages, { similarity, weight: 6 });
    expect(byMeaning).toContain('The company continues your full regular pay for up to 15 working days of service. [1]');
    expect(extractiveAnswer(question, passages, { similarity, weight: 0 })).toBe(byWords);
  });

  it('picks the sentence sharing the question’s rare words, cited with its passage number', () => {
    const passages = hits(OFFICE, LEAVE);
    const answer = extractiveAnswer('How long is parental leave?', passages);
    expect(answer).toContain('Parental leave lasts twelve weeks for all employees. [2]');
    expect(answer).not.toContain('Visitors');
    pieces(answer, passages);
  });

  it('follows each sentence with the [n] of the passage it came from', () => {
    const passages = hits(OFFICE, LEAVE, 'Visitor parking permits are issued by security. Lost permits cost ten dollars to replace.');
    const answer = extractiveAnswer('Where do visitors get parking permits?', passages);
    const found = pieces(answer, passages);
    expect(found.length).toBeGreaterThan(0);
    for (const { sentence, n } of found) expect(passages[n - 1]!.text).toContain(sentence);
    expect(found.map((p) => p.n)).toContain(3);
  });

  it('returns at most three sentences', () => {
    const passages = hits(
      'Badge renewal happens yearly at security. Badge photos are taken at security. Lost badge reports go to security.',
      'Security replaces a damaged badge for free. Badge access covers all floors today. Badge holders escort their guests.',
      'Temporary badge requests go through security. Badge colours show the holder’s role. Expired badge cards stop working.',
    );
    const found = pieces(extractiveAnswer('How do I renew my security badge?', passages), passages);
    expect(found).toHaveLength(3);
  });

  it('takes at most two sentences from one passage', () => {
    const passages = hits(
      'Expense reports need receipts. Expense reports are due monthly. Expense reports go to finance. Late expense reports are rejected.',
      'Finance reimburses approved expense claims within ten days.',
    );
    const found = pieces(extractiveAnswer('When are expense reports due to finance?', passages), passages);
    expect(found.filter((p) => p.n === 1)).toHaveLength(2);
    expect(found.filter((p) => p.n === 2)).toHaveLength(1);
  });

  it('strips list-item markers and ends list items with a full stop', () => {
    const passages = hits('Steps to apply:\n- Submit the parental leave form to HR\n2. Wait for parental leave approval from your manager.', '* Parental leave starts on the agreed date');
    const answer = extractiveAnswer('How do I apply for parental leave?', passages);
    expect(answer).toContain('Submit the parental leave form to HR. [1]');
    expect(answer).toContain('Wait for parental leave approval from your manager. [1]');
    expect(answer).toContain('Parental leave starts on the agreed date. [2]');
    expect(answer).not.toMatch(/(^|\s)[-*] /);
    expect(answer).not.toMatch(/(^|\s)2\. /);
    pieces(answer, passages);
  });

  it('skips sentences of fewer than four words', () => {
    const passages = hits('Parental leave policy.\nEveryone gets paid time off for parental leave after a birth.');
    const answer = extractiveAnswer('What is the parental leave policy?', passages);
    expect(answer).toBe('Everyone gets paid time off for parental leave after a birth. [1]');
  });

  it('clips a very long sentence at a word, with an ellipsis', () => {
    const long = `Parental leave ${Array.from({ length: 120 }, (_, i) => `clause${i}`).join(' ')} ends here.`;
    expect(long.length).toBeGreaterThan(400);
    const passages = hits(long);
    const answer = extractiveAnswer('How long is parental leave?', passages);
    const [piece] = pieces(answer, passages);
    expect(piece!.sentence.endsWith('…')).toBe(true);
    expect(piece!.sentence.length).toBeLessThanOrEqual(401);
    const kept = piece!.sentence.slice(0, -1);
    expect(long.startsWith(kept)).toBe(true);
    expect(long[kept.length]).toBe(' ');
    expect(answer).not.toContain('ends here');
  });

  it('still returns the first sentence of passage 1 when nothing overlaps', () => {
    const passages = hits(OFFICE, LEAVE);
    expect(extractiveAnswer('quantum chromodynamics lattice?', passages)).toBe('The office is open from nine to five on weekdays. [1]');
  });

  it('does not pass a passage’s own bracketed footnote numbers off as citations', () => {
    // Plain-text corpora (Wikipedia dumps, papers) carry footnotes like "[7]"; checkCitations
    // would read one as a citation, or drop it as bogus, so quoting must not carry them over.
    const passages = hits(OFFICE, LEAVE, 'Parental leave was extended to twelve weeks in 2023 [7]. Parental leave pay is full salary [1].');
    const answer = extractiveAnswer('How long is parental leave and is it paid?', passages);
    expect(answer).toContain('Parental leave was extended to twelve weeks in 2023');
    expect(pieces(answer, passages).map((p) => p.n)).toEqual([2, 3, 3]);
  });

  it('returns nothing without passages, and the best passage whole when none has a usable sentence', () => {
    expect(extractiveAnswer('parental leave', [])).toBe('');
    expect(extractiveAnswer('parental leave', hits('Too short.', 'Also short.'))).toBe('Too short. [1]');
  });
});

describe('extractive answers from tables and number questions', () => {
  const passage = (text: string, id = 'p'): SearchHit => ({ id, source: 'x.md', title: 'T', headings: [], start: 0, end: text.length, text, score: 1, scores: {} });

  it('reads a Markdown table row as cells, without pipes', () => {
    const answer = extractiveAnswer('Who must approve a single expense over the limit?', [passage('| Single expense over the limit | Finance director must approve |\n|---|---|')]);
    expect(answer).toContain('Single expense over the limit, Finance director must approve');
    expect(answer).not.toContain('|');
  });

  it('prefers the sentence with a number when the question asks how long', () => {
    const passages = [
      passage('Parental leave is valued.', 'a'),
      passage('Parental leave needs planning.', 'b'),
      passage('Parental leave requests go online.', 'c'),
      passage('Parental leave lasts 16 weeks for every parent.', 'd'),
    ];
    expect(extractiveAnswer('How long is parental leave?', passages)).toContain('Parental leave lasts 16 weeks for every parent. [4]');
    // Without the cue, the shorter sentences win and the number is left out.
    expect(extractiveAnswer('Tell me about parental leave', passages)).not.toContain('16 weeks');
  });

  it('quotes a passage too short for a sentence rather than answering nothing', () => {
    expect(extractiveAnswer('How many vacation days?', [passage('Vacation days: 25.')])).toBe('Vacation days: 25. [1]');
  });
});

describe('extractive answers from cleaned structure', () => {
  const passage = (text: string, id = 'p'): SearchHit => ({ id, source: 'x.md', title: 'T', headings: [], start: 0, end: text.length, text, score: 1, scores: {} });

  it('quotes whole sentences from a paragraph the cleaner joined, never a piece cut at a line end', () => {
    const joined = 'The agency does not provide desk chairs or office products. Buy your own desk chair and claim it.';
    const answer = extractiveAnswer('Does the agency provide desk chairs?', [passage(joined)]);
    expect(answer).toContain('The agency does not provide desk chairs or office products. [1]');
    expect(answer).not.toMatch(/provide\. \[1\]/);
  });

  it('quotes a table row with its column headers, header row repeated by the chunker', () => {
    const table = '| Situation | United States | Canada |\n| Birthing parent | 20 weeks at full pay | Top-up to 100% of salary for 20 weeks |\n| Pregnancy loss | 10 working days at full pay | 10 working days at full pay |';
    const answer = extractiveAnswer('How much leave does a birthing parent get in the United States?', [passage(`How much leave you get:\n\n${table}`)]);
    expect(answer).toContain('Situation: Birthing parent; United States: 20 weeks at full pay; Canada: Top-up to 100% of salary for 20 weeks. [1]');
    expect(answer).not.toContain('|');
    expect(answer).not.toContain('Situation, United States');
  });

  it('keeps an empty cell from shifting the later cells under the wrong header', () => {
    const answer = extractiveAnswer('What is the rural per diem rate?', [passage('| City | Rate | Note |\n|  | $50 per day | rural areas only |')]);
    expect(answer).toBe('Rate: $50 per day; Note: rural areas only. [1]');
  });

  it('quotes the whole numbered list when a how-to question best matches one of its steps', () => {
    const steps = 'To request a badge:\n1. Fill in the badge request form on the portal.\n2. Get it signed.\n3. Bring the signed badge request form to security with photo ID.\n\nBadges expire after two years.';
    const answer = extractiveAnswer('How do I request a badge?', [passage(steps)]);
    expect(answer).toContain('1. Fill in the badge request form on the portal. 2. Get it signed. 3. Bring the signed badge request form to security with photo ID. [1]');
    expect(answer.match(/Fill in the badge/g)).toHaveLength(1);
    // Not asked how: the step stands alone.
    expect(extractiveAnswer('Where is the badge request form?', [passage(steps)])).not.toContain('2. Get it signed.');
  });

  it('quotes a single step when the list is too long to read as one answer', () => {
    const long = Array.from({ length: 9 }, (_, i) => (i === 4 ? '5. Return the visitor lanyard at reception.' : `${i + 1}. Complete the next form carefully.`)).join('\n');
    const answer = extractiveAnswer('How do I return a visitor lanyard?', [passage(long)]);
    expect(answer).toContain('Return the visitor lanyard at reception. [1]');
    expect(answer).not.toMatch(/\d\. Complete/);
  });
});

describe('extractive selection knobs (eval/experiments; the defaults are today\'s picker)', () => {
  const tuned = (changes: Partial<ExtractiveTuning>): ExtractiveTuning => ({ ...DEFAULT_EXTRACTIVE_TUNING, ...changes });

  it('takes a third sentence from one passage when perPassage allows it', () => {
    const passages = hits(
      'Expense reports need receipts. Expense reports are due monthly. Expense reports go to finance. Late expense reports are rejected.',
      'The cafeteria opens at noon on weekdays.',
    );
    const question = 'When are expense reports due to finance?';
    expect(pieces(extractiveAnswer(question, passages), passages)).toHaveLength(2);
    const found = pieces(extractiveAnswer(question, passages, undefined, tuned({ perPassage: 3 })), passages);
    expect(found.map((p) => p.n)).toEqual([1, 1, 1]);
  });

  it('with a neighbour share, quotes the sentence after the one naming the topic', () => {
    const sentences = ['You do not need a doctor note for short absences.', 'We ask for one after three consecutive working days off.', 'Holidays are listed on the calendar page.', 'The office closes early on Fridays in summer.'];
    const passages = hits(sentences.join(' '));
    // The fact shares no word with the question and is no closer in meaning than the noise after it.
    const meaning = { similarity: Object.fromEntries(sentences.map((s, i) => [s, i === 1 ? 0.05 : 0.1])), weight: 1 };
    const two = (tuning: ExtractiveTuning) => pieces(extractiveAnswer('When do I need a doctor note?', passages, meaning, tuning), passages).map((p) => p.sentence);
    expect(two(tuned({}))).not.toContain(sentences[1]);
    expect(two(tuned({ neighbour: 1 }))).toEqual(sentences.slice(0, 2));
  });

  it('with a rank bonus, prefers the first passage over an equal match in a later one', () => {
    const passages = hits('Parking permits are issued by facilities.', 'Parking permits are issued by security staff.');
    const answer = extractiveAnswer('Who issues parking permits?', passages, undefined, tuned({ rankBonus: 2, perPassage: 1 }));
    expect(answer.startsWith('Parking permits are issued by facilities. [1]')).toBe(true);
  });
});
