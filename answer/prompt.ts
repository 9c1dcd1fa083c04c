import type { SearchHit } from '../workers/protocol.js';
import type { ChatMessage } from './ports.js';

const SYSTEM = [
  'You answer questions about an organisation\'s documents using only the numbered passages you are given.',
  'Cite every statement with the number of the passage it comes from, in square brackets, like [1] or [2, 3].',
  'Cite only passage numbers that exist. Do not use outside knowledge.',
  'If the passages do not contain the answer, say that the documents do not cover it.',
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
