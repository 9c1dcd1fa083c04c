import { connect } from 'node:net';

/** One response as read off the wire. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawExchange {
  responses: RawResponse[];
  /** The server closed the connection. */
  closed: boolean;
}

export interface RawOptions {
  /** Send these after the first write, each after `gapMs` (a slow client). */
  more?: (string | Buffer)[];
  gapMs?: number;
  /** Resolve once this many responses are read (default 1), or when the server closes. */
  responses?: number;
  /** Give up after this long and resolve with what was read. */
  timeoutMs?: number;
}

/** Every complete response in `data`, by Content-Length (or to the end once the server has closed). */
function parseResponses(data: Buffer, closed: boolean): RawResponse[] {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < data.length) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const head = data.subarray(at, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1]);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = headers['content-length'] !== undefined ? Number(headers['content-length']) : status === 204 || status === 304 ? 0 : undefined;
    const bodyStart = end + 4;
    if (length === undefined) {
      if (!closed) break;
      responses.push({ status, headers, body: data.subarray(bodyStart).toString('utf8') });
      break;
    }
    if (data.length < bodyStart + length) break;
    responses.push({ status, headers, body: data.subarray(bodyStart, bodyStart + length).toString('utf8') });
    at = bodyStart + length;
  }
  return responses;
}

/**
 * Bytes as written, on a raw TCP connection (node:net): what an HTTP client would refuse to send
 * (bad framing, invalid methods, pipelining, HTTP/1.0, bodies that never end). Reads the responses.
 */
export function rawExchange(url: string, first: string | Buffer, options: RawOptions = {}): Promise<RawExchange> {
  const { port, hostname } = new URL(url);
  const wanted = options.responses ?? 1;
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let data = Buffer.alloc(0);
    let closed = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = () => {
      for (const timer of timers) clearTimeout(timer);
      socket.destroy();
      resolve({ responses: parseResponses(data, closed), closed });
    };
    timers.push(setTimeout(finish, options.timeoutMs ?? 15_000));
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (parseResponses(data, false).length >= wanted) finish();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.write(first);
    (options.more ?? []).forEach((piece, i) => timers.push(setTimeout(() => socket.writable && socket.write(piece), (i + 1) * (options.gapMs ?? 100))));
  });
}
