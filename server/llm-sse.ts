/**
 * Reading an untrusted chat-completions stream (`text/event-stream` of `data: {chunk}` lines and a
 * final `data: [DONE]`) into the answer's text deltas, within bounds on line length and on the
 * whole reply. Every scan is linear: each byte is decoded once and searched for a newline once.
 */

/** A stream broke a rule of the wire format or a bound; `llm.ts` turns it into an LlmError. */
export class StreamFormatError extends Error {
  override name = 'StreamFormatError';
}

export interface StreamBounds {
  /** Longest line accepted (one chunk's JSON is a few hundred bytes). */
  maxLineChars: number;
  /** Longest reply, in characters of answer text: past it the stream is cut short. */
  maxReplyChars: number;
}

interface ChunkBody {
  choices?: { delta?: { content?: unknown } }[];
  error?: { message?: unknown };
}

/** Lines of a byte stream, split on `\n` (a `\r` before it dropped), each at most `maxLineChars`. */
async function* lines(body: AsyncIterable<Uint8Array>, maxLineChars: number): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let partial = '';
  for await (const bytes of body) {
    const text = partial + decoder.decode(bytes, { stream: true });
    let from = 0;
    // Search only the new text for newlines: `partial` held none.
    for (let at = text.indexOf('\n', partial.length); at !== -1; at = text.indexOf('\n', from)) {
      yield text.slice(from, at > from && text[at - 1] === '\r' ? at - 1 : at);
      from = at + 1;
    }
    partial = text.slice(from);
    if (partial.length > maxLineChars) throw new StreamFormatError(`a stream line is longer than ${maxLineChars} characters`);
  }
  partial += decoder.decode();
  if (partial) yield partial;
}

/** The text of one `data:` payload, or `undefined` for a chunk without content (the role, the finish). */
function deltaOf(payload: string): string | undefined {
  let chunk: ChunkBody;
  try {
    chunk = JSON.parse(payload) as ChunkBody;
  } catch {
    throw new StreamFormatError(`a stream event is not JSON (${JSON.stringify(payload.slice(0, 60))})`);
  }
  if (chunk?.error) throw new StreamFormatError(`the stream reported an error: ${String(chunk.error.message ?? 'no message')}`);
  const content = chunk?.choices?.[0]?.delta?.content;
  return typeof content === 'string' ? content : undefined;
}

/**
 * The answer's text deltas from a chat-completions event stream, ending at `[DONE]` or at the end
 * of the body. A reply longer than `maxReplyChars` is cut at the bound (the rest is not read).
 */
export async function* readChatStream(body: AsyncIterable<Uint8Array>, bounds: StreamBounds): AsyncGenerator<string> {
  let total = 0;
  for await (const line of lines(body, bounds.maxLineChars)) {
    // Comments (`: ping`), `event:`/`id:` fields and blank separators carry no text.
    if (!line.startsWith('data:')) continue;
    const payload = line.slice(line.startsWith('data: ') ? 6 : 5).trim();
    if (payload === '[DONE]') return;
    const delta = deltaOf(payload);
    if (!delta) continue;
    if (total + delta.length >= bounds.maxReplyChars) {
      yield delta.slice(0, bounds.maxReplyChars - total);
      return;
    }
    total += delta.length;
    yield delta;
  }
}
