/**
 * Issue 15, "bad input, as a table": malformed requests, each sent as raw bytes on a real socket to
 * a real service (real worker, static model, the sample handbook), each with the status and error
 * code it must get in the one error shape (OpenAI's on /v1). Then a normal question is still
 * answered and the process's memory is back near where it was.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { post } from '../helpers/http-call.js';
import { rawExchange, type RawOptions } from '../helpers/raw-http.js';
import { startSampleServices, type SampleServices } from '../helpers/sample-services.js';

interface Row {
  name: string;
  /** The request's bytes; `HOST` is replaced by the server's host:port. */
  bytes: string | Buffer;
  status: number;
  /** The error code; undefined for an answer. */
  code?: string;
  /** What the message must say, where saying it matters. */
  message?: RegExp;
  options?: RawOptions;
  /** Responses expected on the connection (pipelining). */
  then?: { status: number; code?: string };
}

const CRLF = '\r\n';
function request(method: string, target: string, headers: Record<string, string | number>, body: string | Buffer = '', version = '1.1'): Buffer {
  const head = `${method} ${target} HTTP/${version}${CRLF}${version === '1.1' ? `Host: HOST${CRLF}` : ''}${Object.entries(headers).map(([k, v]) => `${k}: ${v}${CRLF}`).join('')}${CRLF}`;
  return Buffer.concat([Buffer.from(head, 'latin1'), typeof body === 'string' ? Buffer.from(body, 'utf8') : body]);
}
/** `POST /api/ask` with `body` as is (a string is sent as UTF-8), Content-Length set. */
const ask = (body: string | Buffer, contentType = 'application/json', path = '/api/ask') =>
  request('POST', path, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) }, body);
const askJson = (value: unknown) => ask(JSON.stringify(value));
const search = (query: string) => request('GET', `/api/search?${query}`, {});
const chat = (body: string, contentType = 'application/json') => ask(body, contentType, '/v1/chat/completions');
const Q = 'How many vacation days do I get?';

const ROWS: Row[] = [
  // --- bodies that are not the JSON object asked for ---
  { name: 'empty body', bytes: ask(''), status: 400, code: 'MISSING_BODY' },
  { name: 'truncated JSON', bytes: ask('{"question": "pto"'), status: 400, code: 'INVALID_JSON' },
  { name: 'trailing comma', bytes: ask('{"question": "pto",}'), status: 400, code: 'INVALID_JSON' },
  { name: 'single quotes', bytes: ask("{'question': 'pto'}"), status: 400, code: 'INVALID_JSON' },
  { name: 'JSON null', bytes: ask('null'), status: 400, code: 'INVALID_REQUEST', message: /must be a JSON object/ },
  { name: 'JSON array', bytes: ask('[]'), status: 400, code: 'INVALID_REQUEST' },
  { name: 'JSON string', bytes: ask('"pto"'), status: 400, code: 'INVALID_REQUEST' },
  { name: 'JSON number', bytes: ask('42'), status: 400, code: 'INVALID_REQUEST' },
  { name: '5,000 nested arrays', bytes: ask(`${'['.repeat(5000)}${']'.repeat(5000)}`), status: 400, code: 'INVALID_REQUEST' },
  { name: '8,000 unclosed arrays', bytes: ask('['.repeat(8000)), status: 400, code: 'INVALID_JSON' },
  { name: 'deep object in filter', bytes: ask(`{"question":"pto","filter":{"source":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}}`), status: 400, code: 'INVALID_REQUEST', message: /filter\.source must be a string/ },
  { name: '__proto__ key', bytes: ask(`{"question":"pto","__proto__":{"topK":20}}`), status: 400, code: 'INVALID_REQUEST', message: /Unknown field "__proto__"/ },
  { name: 'constructor.prototype key', bytes: ask(`{"question":"pto","constructor":{"prototype":{"polluted":true}}}`), status: 400, code: 'INVALID_REQUEST', message: /Unknown field "constructor"/ },
  { name: '__proto__ in filter', bytes: ask(`{"question":"pto","filter":{"__proto__":{"source":"x"}}}`), status: 400, code: 'INVALID_REQUEST', message: /filter has unknown field "__proto__"/ },
  { name: 'duplicate keys (the last wins)', bytes: ask(`{"question":42,"question":"${Q}"}`), status: 200 },
  // --- the question ---
  { name: 'no question', bytes: askJson({ topK: 3 }), status: 400, code: 'INVALID_REQUEST', message: /question must be a string, got nothing/ },
  { name: 'question a number', bytes: askJson({ question: 42 }), status: 400, code: 'INVALID_REQUEST', message: /got number/ },
  { name: 'question null', bytes: askJson({ question: null }), status: 400, code: 'INVALID_REQUEST' },
  { name: 'question an array', bytes: askJson({ question: ['pto'] }), status: 400, code: 'INVALID_REQUEST' },
  { name: 'question an object', bytes: askJson({ question: { text: 'pto' } }), status: 400, code: 'INVALID_REQUEST' },
  { name: 'question empty', bytes: askJson({ question: '' }), status: 400, code: 'INVALID_REQUEST', message: /must not be empty/ },
  { name: 'question only whitespace', bytes: askJson({ question: ' \t\n ' }), status: 400, code: 'INVALID_REQUEST', message: /must not be empty/ },
  { name: 'question with NUL', bytes: askJson({ question: 'pto\u0000days' }), status: 400, code: 'INVALID_REQUEST', message: /control characters/ },
  { name: 'question with ANSI escape', bytes: askJson({ question: '\u001b[31mpto' }), status: 400, code: 'INVALID_REQUEST', message: /control characters/ },
  { name: 'question with a lone surrogate', bytes: ask('{"question":"pto \\ud800 days"}'), status: 400, code: 'INVALID_REQUEST', message: /surrogate/ },
  { name: 'question of zero-width spaces', bytes: askJson({ question: '\u200b\u200b\u200b' }), status: 200 },
  { name: 'question with right-to-left override', bytes: askJson({ question: `\u202e${Q}` }), status: 200 },
  { name: 'question in Arabic (right to left)', bytes: askJson({ question: 'كم عدد أيام الإجازة؟' }), status: 200 },
  { name: 'question of emoji only', bytes: askJson({ question: '🏖️🌴😎' }), status: 200 },
  { name: 'question of 2,001 characters', bytes: askJson({ question: 'a'.repeat(2001) }), status: 400, code: 'INVALID_REQUEST', message: /at most 2000 characters, got 2001/ },
  { name: 'question of 100,000 characters', bytes: askJson({ question: 'a'.repeat(100_000) }), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'question of 1 MB (declared, never read)', bytes: request('POST', '/api/ask', { 'Content-Type': 'application/json', 'Content-Length': 1_048_600 }, '{"question":"aaaa'), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  // --- topK ---
  { name: 'topK 0', bytes: askJson({ question: Q, topK: 0 }), status: 400, code: 'INVALID_REQUEST', message: /topK must be an integer from 1 to 20, got 0/ },
  { name: 'topK -1', bytes: askJson({ question: Q, topK: -1 }), status: 400, code: 'INVALID_REQUEST', message: /got -1/ },
  { name: 'topK 2.5', bytes: askJson({ question: Q, topK: 2.5 }), status: 400, code: 'INVALID_REQUEST', message: /got 2\.5/ },
  { name: 'topK 1e309', bytes: ask(`{"question":"${Q}","topK":1e309}`), status: 400, code: 'INVALID_REQUEST', message: /got a number too large to represent/ },
  { name: 'topK 1e300', bytes: ask(`{"question":"${Q}","topK":1e300}`), status: 400, code: 'INVALID_REQUEST', message: /got 1e\+300/ },
  { name: 'topK 9007199254740993', bytes: ask(`{"question":"${Q}","topK":9007199254740993}`), status: 400, code: 'INVALID_REQUEST' },
  { name: 'topK "five"', bytes: askJson({ question: Q, topK: 'five' }), status: 400, code: 'INVALID_REQUEST', message: /got "five"/ },
  { name: 'topK true', bytes: askJson({ question: Q, topK: true }), status: 400, code: 'INVALID_REQUEST' },
  { name: 'topK null', bytes: askJson({ question: Q, topK: null }), status: 400, code: 'INVALID_REQUEST', message: /got null/ },
  { name: 'topK "3" (digits)', bytes: askJson({ question: Q, topK: '3' }), status: 200 },
  // --- filter ---
  { name: 'filter a string', bytes: askJson({ question: Q, filter: 'leave/' }), status: 400, code: 'INVALID_REQUEST', message: /filter must be an object/ },
  { name: 'filter with an unknown field', bytes: askJson({ question: Q, filter: { path: 'leave/' } }), status: 400, code: 'INVALID_REQUEST' },
  { name: 'filter source of 501 characters', bytes: askJson({ question: Q, filter: { source: 's'.repeat(501) } }), status: 400, code: 'INVALID_REQUEST' },
  { name: 'filter source with ..', bytes: askJson({ question: Q, filter: { source: '../../etc/passwd' } }), status: 200 },
  { name: 'filter source a glob', bytes: askJson({ question: Q, filter: { source: '**/*' } }), status: 200 },
  { name: 'filter source regex characters', bytes: askJson({ question: Q, filter: { source: '^(a+)+$|.*[' } }), status: 200 },
  { name: 'stream "yes"', bytes: askJson({ question: Q, stream: 'yes' }), status: 400, code: 'INVALID_REQUEST', message: /stream must be true or false/ },
  // --- content types and charsets ---
  { name: 'text/plain', bytes: ask(`{"question":"${Q}"}`, 'text/plain'), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'a form', bytes: ask('question=pto', 'application/x-www-form-urlencoded'), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'no Content-Type', bytes: request('POST', '/api/ask', { 'Content-Length': 17 }, '{"question":"pto"}'.slice(0, 17)), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'JSON in UTF-16', bytes: ask(Buffer.from(`{"question":"${Q}"}`, 'utf16le'), 'application/json; charset=utf-16'), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: /UTF-8, got charset "utf-16"/ },
  { name: 'JSON in Latin-1', bytes: ask(Buffer.from('{"question":"café"}', 'latin1'), 'application/json; charset=ISO-8859-1'), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'invalid UTF-8 bytes', bytes: ask(Buffer.concat([Buffer.from('{"question":"pto '), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])), status: 400, code: 'INVALID_ENCODING' },
  { name: 'overlong UTF-8 (a hidden "/")', bytes: ask(Buffer.concat([Buffer.from('{"question":"pto '), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])), status: 400, code: 'INVALID_ENCODING' },
  { name: 'UTF-8 with a BOM', bytes: ask(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`{"question":"${Q}"}`)])), status: 200 },
  // --- slow, endless and badly framed bodies (REQUEST_TIMEOUT_MS=1500 here) ---
  { name: 'body never finished', bytes: request('POST', '/api/ask', { 'Content-Type': 'application/json', 'Content-Length': 100 }, '{"question":'), status: 408, code: 'REQUEST_TIMEOUT' },
  { name: 'body a byte every 300 ms', bytes: request('POST', '/api/ask', { 'Content-Type': 'application/json', 'Content-Length': 40 }, '{'), status: 408, code: 'REQUEST_TIMEOUT', options: { more: [...'"question":"pto"'], gapMs: 300 } },
  { name: 'chunked body that never ends', bytes: request('POST', '/api/ask', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, '5\r\n{"que\r\n'), status: 408, code: 'REQUEST_TIMEOUT' },
  { name: 'invalid chunk size', bytes: request('POST', '/api/ask', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, 'zz\r\n'), status: 400, code: 'BAD_REQUEST' },
  { name: 'Content-Length and chunked both', bytes: request('POST', '/api/ask', { 'Content-Type': 'application/json', 'Content-Length': 5, 'Transfer-Encoding': 'chunked' }, '0\r\n\r\n'), status: 400, code: 'BAD_REQUEST' },
  { name: 'Content-Length not a number', bytes: request('POST', '/api/ask', { 'Content-Type': 'application/json', 'Content-Length': 'abc' }), status: 400, code: 'BAD_REQUEST' },
  // --- the search's query string ---
  { name: 'search without q', bytes: search('k=3'), status: 400, code: 'INVALID_REQUEST', message: /q must be a string, got nothing/ },
  { name: 'search with q empty', bytes: search('q=%20%20'), status: 400, code: 'INVALID_REQUEST' },
  { name: 'search with q twice', bytes: search('q=a&q=b'), status: 400, code: 'INVALID_REQUEST', message: /q must be given once/ },
  { name: 'search with q 1,000 times', bytes: search(Array.from({ length: 1000 }, () => 'q=pto').join('&')), status: 400, code: 'INVALID_REQUEST', message: /q must be given once/ },
  { name: 'search with 1,000 parameters', bytes: search(`q=pto&${Array.from({ length: 999 }, (_, i) => `p${i}=1`).join('&')}`), status: 400, code: 'INVALID_REQUEST', message: /Unknown parameter "p0", "p1", "p2" and \d+ more/ },
  { name: 'search with k=1e309', bytes: search('q=pto&k=1e309'), status: 400, code: 'INVALID_REQUEST', message: /k must be an integer from 1 to 20, got "1e309"/ },
  { name: 'search with k=-3', bytes: search('q=pto&k=-3'), status: 400, code: 'INVALID_REQUEST' },
  { name: 'search with %00 in q', bytes: search('q=pto%00days'), status: 400, code: 'INVALID_REQUEST', message: /control characters/ },
  { name: 'search with invalid UTF-8 in q (read as U+FFFD)', bytes: search('q=%FF%FEpto'), status: 200 },
  { name: 'search with source=..', bytes: search('q=pto&source=..%2F..'), status: 200 },
  { name: 'search with q of 3,000 characters', bytes: search(`q=${'a'.repeat(3000)}`), status: 400, code: 'INVALID_REQUEST', message: /at most 2000 characters/ },
  { name: 'search with q of 100,000 characters (URL over 16 KB)', bytes: search(`q=${'a'.repeat(100_000)}`), status: 431, code: 'HEADERS_TOO_LARGE' },
  { name: 'document path with ../', bytes: request('GET', '/api/documents/..%2F..%2Fetc%2Fpasswd', {}), status: 404, code: 'DOCUMENT_NOT_FOUND' },
  { name: 'document span half given', bytes: request('GET', '/api/documents/leave%2Fpto.md?start=5', {}), status: 400, code: 'INVALID_REQUEST' },
  // --- headers, versions, methods ---
  { name: 'a 20 KB header', bytes: request('GET', '/healthz', { Cookie: 'a'.repeat(20_000) }), status: 431, code: 'HEADERS_TOO_LARGE' },
  { name: 'HTTP/1.1 without Host', bytes: `GET /healthz HTTP/1.1${CRLF}${CRLF}`, status: 400, code: 'BAD_REQUEST', message: /Host header/ },
  { name: 'HTTP/1.0 health check', bytes: request('GET', '/healthz', {}, '', '1.0'), status: 200 },
  { name: 'HTTP/1.0 question', bytes: Buffer.from(`POST /api/ask HTTP/1.0${CRLF}Content-Type: application/json${CRLF}Content-Length: ${Buffer.byteLength(`{"question":"${Q}"}`)}${CRLF}${CRLF}{"question":"${Q}"}`), status: 200 },
  { name: 'pipelined: health check then unknown path', bytes: Buffer.concat([request('GET', '/healthz', {}), request('GET', '/nope', {})]), status: 200, then: { status: 404, code: 'NOT_FOUND' }, options: { responses: 2 } },
  { name: 'pipelined: bad JSON then a search', bytes: Buffer.concat([ask('{'), search('q=pto')]), status: 400, code: 'INVALID_JSON', then: { status: 200 }, options: { responses: 2 } },
  { name: 'PROPFIND', bytes: request('PROPFIND', '/api/ask', {}), status: 405, code: 'METHOD_NOT_ALLOWED' },
  { name: 'TRACE', bytes: request('TRACE', '/api/search', {}), status: 405, code: 'METHOD_NOT_ALLOWED' },
  { name: 'DELETE', bytes: request('DELETE', '/api/ask', {}), status: 405, code: 'METHOD_NOT_ALLOWED' },
  { name: 'OPTIONS (no CORS configured)', bytes: request('OPTIONS', '/api/ask', {}), status: 405, code: 'METHOD_NOT_ALLOWED' },
  { name: 'an unknown method (BREW)', bytes: request('BREW', '/healthz', {}), status: 400, code: 'BAD_REQUEST' },
  { name: 'CONNECT', bytes: `CONNECT example.com:443 HTTP/1.1${CRLF}Host: example.com:443${CRLF}${CRLF}`, status: 405, code: 'METHOD_NOT_ALLOWED' },
  { name: 'not HTTP at all', bytes: `HELLO${CRLF}${CRLF}`, status: 400, code: 'BAD_REQUEST' },
  { name: 'a 15 KB unknown path', bytes: request('GET', `/${'x'.repeat(15_000)}`, {}), status: 404, code: 'NOT_FOUND' },
  // --- the OpenAI route: its own error shape ---
  { name: '/v1: not JSON', bytes: chat('{'), status: 400, code: 'invalid_json' },
  { name: '/v1: no messages', bytes: chat('{"messages":[]}'), status: 400, code: 'invalid_request' },
  { name: '/v1: last message not the user\'s', bytes: chat('{"messages":[{"role":"assistant","content":"hi"}]}'), status: 400, code: 'invalid_request' },
  { name: '/v1: text/plain', bytes: chat('{"messages":[]}', 'text/plain'), status: 415, code: 'unsupported_media_type' },
  { name: '/v1: unknown path', bytes: request('GET', '/v1/embeddings', {}), status: 404, code: 'not_found' },
];

describe('bad input, as a table', () => {
  let services: SampleServices;
  let url = '';
  const got: string[] = [];
  beforeAll(async () => {
    services = await startSampleServices('http://127.0.0.1:9/v1', { HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '1500' });
    url = services.withoutLlm.url;
    // Warm: the model and index load on the first question, not inside a row.
    expect((await post(`${url}/api/ask`, { question: Q })).status).toBe(200);
  }, 120_000);
  afterAll(async () => {
    // The table for the closing note.
    process.stdout.write(`\n| # | input | status | code |\n| --- | --- | --- | --- |\n${got.join('\n')}\n`);
    await services.close();
  });

  it('has at least 60 rows', () => expect(ROWS.length).toBeGreaterThanOrEqual(60));

  it.each(ROWS.map((row, i) => [`${i + 1}. ${row.name}`, row] as const))('%s', async (label, row) => {
    const host = new URL(url).host;
    const bytes = typeof row.bytes === 'string' ? row.bytes.replaceAll('HOST', host) : Buffer.from(row.bytes.toString('latin1').replace('Host: HOST', `Host: ${host}`), 'latin1');
    const { responses } = await rawExchange(url, bytes, { timeoutMs: 10_000, ...row.options });
    const expected = [{ status: row.status, code: row.code }, ...(row.then ? [row.then] : [])];
    got.push(`| ${label.split('.')[0]} | ${row.name} | ${responses.map((r) => r.status).join(', ')} | ${responses.map((r) => (r.status >= 400 ? (JSON.parse(r.body) as { error: { code: string } }).error.code : '-')).join(', ')} |`);
    expect(responses.map((r) => r.status)).toEqual(expected.map((e) => e.status));
    responses.forEach((response, i) => {
      const want = expected[i]!;
      const body = JSON.parse(response.body) as { error?: Record<string, unknown> };
      if (want.code === undefined) {
        expect(body.error).toBeUndefined();
        return;
      }
      const wire = /^[A-Z]+ \/v1\//.test(bytes.toString('latin1'));
      // The one error shape: exactly these keys, a message that says something.
      expect(Object.keys(body)).toEqual(['error']);
      expect(Object.keys(body.error!).sort()).toEqual(wire ? ['code', 'message', 'param', 'type'] : ['code', 'message']);
      expect(body.error!.code).toBe(want.code);
      expect(body.error!.message).toEqual(expect.stringMatching(/\w{3}/));
      if (i === 0 && row.message) expect(body.error!.message).toMatch(row.message);
    });
  }, 20_000);

  it('still answers a normal question afterwards, with memory back near where it was', async () => {
    const before = process.memoryUsage.rss();
    const res = await post(`${url}/api/ask`, { question: Q });
    expect(res.status).toBe(200);
    expect((res.body as { citations: unknown[] }).citations.length).toBeGreaterThan(0);
    (globalThis as { gc?: () => void }).gc?.();
    // This process holds Jest, the service and its worker: the rows must not have left tens of MB behind.
    expect(process.memoryUsage.rss() - before).toBeLessThan(64 * 1024 * 1024);
    expect(services.withoutLlm.governor.snapshot().mode).toBe('normal');
  });
});
