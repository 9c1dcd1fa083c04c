import type { SearchHit } from '../workers/protocol.js';
import type { ChatMessage } from './ports.js';

/**
 * What the model replies, alone, when the passages do not answer the question. Bracketed, all
 * capitals and one token, so a model copies it verbatim and no prose says it by accident.
 */
export const NO_ANSWER_MARKER = '[NOT_IN_PASSAGES]';

const SYSTEM = [
  'You answer questions about an organisation\'s documents using only the numbered passages you are given.',
  'Cite every statement with the number of the passage it comes from, in square brackets, like [1] or [2, 3].',
  'Cite only passage numbers that exist. Do not use outside knowledge.',
  `If the passages do not contain the answer, reply with exactly ${NO_ANSWER_MARKER} and nothing else.`,
  'Answer in a few sentences, in the language of the question.',
].join(' ');

/** The passage's heading trail below the document title, as citations and search results show it. */
export function headingOf(hit: SearchHit): string {
  return hit.headings.join(' › ');
}

/** Where the passage sits: its document title and heading trail. */
export function headingTrail(hit: SearchHit): string {
  return [hit.title, ...hit.headings.filter((h) => h !== hit.title)].join(' › ');
}

/**
 * The chat messages for one question: instructions, then the passages numbered from 1 with their
 * source, then the question. `maxPassageChars` bounds each passage so the prompt stays small.
 */
export function buildMessages(question: string, passages: SearchHit[], maxPassageChars = 1500): ChatMessage[] {
  const numbered = passages
    .map((hit, i) => `[${i + 1}] ${headingTrail(hit)} (${hit.source})\n${hit.text.length > maxPassageChars ? `${hit.text.slice(0, maxPassageChars)}…` : hit.text}`)
    .join('\n\n');
  return [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: `Passages:\n\n${numbered}\n\nQuestion: ${question}` },
  ];
}

/**
 * The marker as models write it: any case, spaces or hyphens for the underscores when bracketed,
 * the bare underscored token, and the quotes, code ticks or bold and the trailing punctuation
 * around it, which go with it. Every quantifier is bounded, so a match attempt costs at most a few
 * dozen characters and a scan of the whole reply is linear in its length, whatever the text.
 */
// Markdown-minded models escape the brackets and underscores (`\[NOT\_IN\_PASSAGES\]`); inside brackets the separators may be missing.
const MARKER_FORMS = /[ \t]{0,3}["'`*\u2018\u2019\u201c\u201d]{0,3}(?:\\?\[[ \t]{0,3}not[ \t\\_-]{0,3}in[ \t\\_-]{0,3}passages[ \t]{0,3}\\?\]|\bnot\\?_in\\?_passages\b)["'`*\u2018\u2019\u201c\u201d]{0,3}[.!:;,]?/gi;

/** A reply read for the marker: whether the model wrote it, and the reply without it. */
export interface MarkerReading {
  said: boolean;
  /** The reply with every form of the marker removed, trimmed; the whole reply when `said` is false. */
  rest: string;
}

/** Find {@link NO_ANSWER_MARKER} anywhere in an untrusted reply, in one linear scan. */
export function readNoAnswerMarker(reply: string): MarkerReading {
  let said = false;
  const rest = reply.replace(MARKER_FORMS, () => {
    said = true;
    return '';
  });
  return said ? { said, rest: rest.trim() } : { said, rest: reply };
}
