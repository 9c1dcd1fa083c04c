import type { Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

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
      const { status, code, message } = refusalOf(error);
      const body = JSON.stringify({ error: { code, message } });
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
      );
      // Closed once the answer is out, whatever the client still sends.
      socket.once('finish', () => socket.destroy());
      return;
    }
    socket.destroy();
  });
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };
