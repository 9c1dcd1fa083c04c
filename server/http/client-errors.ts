import type { Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Context, Next } from 'koa';
import { InvalidRequestError } from './errors.js';

/** What Node's parser or its timeouts refused, as status, code and message. */
function refusalOf(error: Error & { code?: string }): { status: number; code: string; message: string } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'HEADERS_TOO_LARGE', message: 'The request headers are larger than the server accepts (16 KB)' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'REQUEST_TIMEOUT', message: 'The request was not received in time (REQUEST_TIMEOUT_MS and HEADERS_TIMEOUT_MS)' };
    case 'HPE_INVALID_METHOD':
      return { status: 400, code: 'BAD_REQUEST', message: 'The request method is not one HTTP defines' };
    default:
      return { status: 400, code: 'BAD_REQUEST', message: 'The request is not valid HTTP/1.1' };
  }
}

/**
 * Requests Node refuses before the app sees them (headers over 16 KB, a request too slow to arrive,
 * bytes that are not HTTP) are answered in the API's one error shape, `{"error":{"code","message"}}`,
 * instead of Node's bare status line, and the connection is closed, as Node does.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    const pending = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (error.code !== 'ECONNRESET' && socket.writable && !pending?.headersSent) {
      return answerAndClose(socket, refusalOf(error));
    }
    socket.destroy();
  });
  // No proxy here: a CONNECT would otherwise get its connection closed without a word.
  server.on('connect', (_request: unknown, socket: Duplex) => answerAndClose(socket, { status: 405, code: 'METHOD_NOT_ALLOWED', message: 'CONNECT is not allowed: this server is not a proxy' }));
}

function answerAndClose(socket: Duplex, { status, code, message }: { status: number; code: string; message: string }): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
  // Closed once the answer is out, whatever the client still sends.
  socket.once('finish', () => socket.destroy());
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 405: 'Method Not Allowed', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/**
 * HTTP/1.1 requires a Host header (RFC 9112, 3.2). Node checks it itself but answers a bare 400;
 * the server turns that check off (`requireHostHeader: false`) and this one answers in our shape.
 */
export async function requireHost(ctx: Context, next: Next): Promise<void> {
  if (ctx.req.httpVersion === '1.1' && ctx.req.headers.host === undefined) throw new InvalidRequestError('An HTTP/1.1 request needs a Host header', 'BAD_REQUEST');
  return next();
}
