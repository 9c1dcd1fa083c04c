export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is empty (HEAD, or no body). */
  body: unknown;
}

/** One request with `fetch`, the whole reply read. */
export async function call(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** `POST` a JSON body (or raw text with a content type of the caller's choice). */
export function post(url: string, body: unknown, contentType = 'application/json'): Promise<Reply> {
  return call(url, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** The app's log lines as written, less their time and with any request id as `*`, for exact comparison. */
export function logLines(lines: string[]): string[] {
  return lines.map((line) => line.replace(/"time":"[^"]+",/, '').replace(/"requestId":"[^"]+"/, '"requestId":"*"'));
}
