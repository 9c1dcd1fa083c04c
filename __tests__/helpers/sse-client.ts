/** One server-sent event as a client reads it; a comment line (`: ping`) is `{ event: 'comment', data: 'ping' }`. */
export interface SseEvent {
  event: string;
  data: string;
}

/** The events of a `text/event-stream` response, as they arrive (comments included, so tests can see heartbeats). */
export async function* readSse(res: Response): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = 'message';
  let data: string[] = [];
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.startsWith(':')) yield { event: 'comment', data: line.slice(1).trim() };
      else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      else if (line === '' && data.length) {
        yield { event, data: data.join('\n') };
        event = 'message';
        data = [];
      }
    }
  }
}

/** Every event of a stream, comments left out. */
export async function allEvents(res: Response): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of readSse(res)) if (event.event !== 'comment') events.push(event);
  return events;
}
