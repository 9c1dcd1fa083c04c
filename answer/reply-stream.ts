import { CitationStream } from './citation-stream.js';
import { readNoAnswerMarker } from './prompt.js';

/**
 * How much of a reply's start (whitespace aside) is held back before any of it is sent: enough
 * for every form of the no-answer marker (`"**[NOT_IN_PASSAGES]**".` is under 30 characters), so
 * a model that says it has no answer never shows the marker as the start of one.
 */
export const MARKER_HOLD_CHARS = 40;
/** However much whitespace comes first, the start is read at most this long: the hold stays cheap. */
const MAX_START_CHARS = 256;

/** What a streamed reply left behind for the final answer: the whole text as the model sent it. */
export interface StreamedReply {
  raw: string;
  /** Whether any text was sent on; when not, the final answer goes out in one piece. */
  sentAny: boolean;
}

/**
 * An LLM's streamed reply, checked on the way: what it yields is safe to send to a client
 * (markers naming no passage removed, the rest renumbered, as `checkCitations` does the whole).
 * The start is held back until it cannot be the no-answer marker; a reply that opens with the
 * marker is sent nothing of, and the caller decides from `state.raw` (kept up to date even if the
 * stream fails midway) what the answer is.
 */
export async function* checkedReply(pieces: AsyncIterable<string>, passageCount: number, state: StreamedReply): AsyncGenerator<string> {
  const citations = new CitationStream(passageCount);
  let decided = false;
  let marker = false;
  const send = function* (text: string): Generator<string> {
    if (!text) return;
    state.sentAny = true;
    yield text;
  };
  for await (const piece of pieces) {
    state.raw += piece;
    if (marker) continue;
    if (decided) {
      yield* send(citations.push(piece));
      continue;
    }
    if (state.raw.length < MAX_START_CHARS && state.raw.trimStart().length < MARKER_HOLD_CHARS) continue;
    decided = true;
    marker = readNoAnswerMarker(state.raw).said;
    if (!marker) yield* send(citations.push(state.raw));
  }
  if (marker) return;
  if (!decided && readNoAnswerMarker(state.raw).said) return;
  if (!decided) yield* send(citations.push(state.raw));
  yield* send(citations.end());
}
