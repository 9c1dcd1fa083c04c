import { describe, expect, it } from '@jest/globals';
import { CitationStream, MAX_HOLD_CHARS } from '../../answer/citation-stream.js';
import { checkCitations } from '../../answer/citations.js';

/** Replies with every kind of marker, bogus ones, lists, ranges, blanks and paragraph breaks. */
const REPLIES = [
  'Leave needs approval [3]. Forms are online [1]. Approval takes a week [3].',
  'Parental leave is 16 weeks [1]. It can also be taken on the moon [9].',
  '  \n[9] Starts with a bogus marker, then [2, 9, 1] and [1-2]; ends with one [7]  \n',
  'Lists [1; 2], ranges [1–3], trailing commas [2,], spaced [ 1 , 2 ] and tabs\t[4].\n\nNew paragraph [5] and [1, 2, 3, 4, 5, 6].',
  'Brackets that are not markers: [a], [1a], [ and ] alone, arrays like [1, [2]], x[1]y.',
  'A bogus marker on its own line\n[8]\nthen text [2].',
  'No citations at all.',
  '[1]',
  '   ',
];

/** What the stream lets through for `reply` cut at `cuts` (sorted offsets). */
function streamed(reply: string, cuts: number[], passages = 5): { text: string; cited: number[]; removed: number[] } {
  const stream = new CitationStream(passages);
  let text = '';
  let from = 0;
  for (const cut of [...cuts, reply.length]) {
    text += stream.push(reply.slice(from, cut));
    from = cut;
  }
  text += stream.end();
  return { text, cited: stream.cited, removed: stream.removed };
}

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describe('CitationStream', () => {
  it.each(REPLIES.map((reply, i) => [i, reply] as const))('lets through what checkCitations makes of the whole reply, for every two-way split (reply %i)', (_i, reply) => {
    const whole = checkCitations(reply, 5);
    for (let cut = 0; cut <= reply.length; cut++) expect(streamed(reply, [cut])).toEqual(whole);
  });

  it.each(REPLIES.map((reply, i) => [i, reply] as const))('does the same for random splits into many pieces, down to one character (reply %i)', (_i, reply) => {
    const whole = checkCitations(reply, 5);
    const next = random(reply.length + 1);
    for (let round = 0; round < 200; round++) {
      const cuts = Array.from({ length: Math.floor(next() * reply.length) }, () => Math.floor(next() * reply.length)).sort((a, b) => a - b);
      expect(streamed(reply, cuts)).toEqual(whole);
    }
    expect(streamed(reply, Array.from({ length: reply.length }, (_, i) => i))).toEqual(whole);
  });

  it('never lets a bogus marker out, even split one character at a time', () => {
    const stream = new CitationStream(2);
    const pieces = [...'Leave [', '9', ']', ' is paid [', '1', '0', '] and [', '2', '].'];
    const out = pieces.map((piece) => stream.push(piece));
    out.push(stream.end());
    expect(out.join('')).toBe('Leave is paid and [1].');
    for (const piece of out) expect(piece).not.toMatch(/9|10/);
  });

  it('holds back at most a small bound: a `[` and a flood of spaces goes out as text, in linear time', () => {
    const stream = new CitationStream(3);
    const started = Date.now();
    let out = stream.push('Text [');
    let held = 0;
    for (let i = 0; i < 100; i++) {
      out += stream.push(' '.repeat(1000));
      held = Math.max(held, 'Text ['.length + (i + 1) * 1000 - out.length);
    }
    out += stream.push('1]');
    out += stream.end();
    expect(held).toBeLessThanOrEqual(MAX_HOLD_CHARS + 1000);
    expect(out.startsWith('Text [')).toBe(true);
    expect(out.length).toBeGreaterThan(100_000);
    // Linear is a few ms; a quadratic rescan of 100,000 characters per piece would take seconds.
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('holds back a one-megabyte run of spaces in pieces in linear time', () => {
    const stream = new CitationStream(3);
    const started = Date.now();
    let length = 0;
    for (let i = 0; i < 1000; i++) length += stream.push(`${' '.repeat(999)}[`).length;
    length += stream.end().length;
    expect(length).toBeGreaterThan(900_000);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
