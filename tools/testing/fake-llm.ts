import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted reply of the fake chat-completions API. */
export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is (garbage); anything else as JSON. */
  body?: unknown;
  /** Wait before sending headers. */
  delayMs?: number;
  /** Send headers at once, then the body in pieces over this long (a slow stream). */
  trickleMs?: number;
  /** Never answer. */
  hang?: boolean;
  /**
   * For a request with `stream: true`: the answer's pieces, each sent as one `chat.completion.chunk`
   * event. Without it, a streamed request gets `body`'s content cut after every space.
   */
  chunks?: string[];
  /** For a request with `stream: true`: these pieces of event-stream text exactly, instead of chunks (a broken or hostile stream). */
  raw?: string[];
  /** Wait this long between streamed pieces. */
  chunkDelayMs?: number;
  /** After the streamed pieces, no finish, no `[DONE]` and no end: keep the response open until the client closes it. */
  holdOpen?: boolean;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: { model?: string; messages?: { role: string; content: string }[]; [key: string]: unknown };
  at: number;
}

/** A chat-completions body whose answer is `content`. */
export function completion(content: string, model = 'fake-model'): unknown {
  return { id: 'chatcmpl-test', object: 'chat.completion', created: 0, model, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
}

/** One `chat.completion.chunk` event carrying `delta`, and `finish_reason` when given. */
export function chunkEvent(delta: Record<string, string>, finishReason: string | null = null, model = 'fake-model'): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`;
}

/** The content of a chat-completions body, cut after every space: how a streamed reply arrives. */
function piecesOf(body: unknown): string[] {
  const content = (body as { choices?: { message?: { content?: unknown } }[] } | undefined)?.choices?.[0]?.message?.content;
  return typeof content === 'string' ? content.split(/(?<= )/) : [];
}

/** Wait `ms`, or less if the response closes first (a client gone, or `stop()`): no timer outlives the server. */
function pause(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.on('close', done);
  });
}

/**
 * A real HTTP server on loopback speaking the OpenAI chat-completions wire format, plain and
 * streamed (`stream: true`). Replies come from `script` in order (the last one repeats), or from
 * `respond` when set. It reports each response its client closed before the reply ended.
 */
export class FakeLlm {
  private readonly events = new EventEmitter();
  /** Requests whose client closed the connection before the reply ended, in order. */
  readonly closedEarly: ReceivedRequest[] = [];
  readonly requests: ReceivedRequest[] = [];
  /** Keep every request in `requests` (tests read them); a long benchmark turns this off. */
  record = true;
  /** Requests received, recorded or not. */
  received = 0;
  script: Reply[] = [];
  respond: ((request: ReceivedRequest) => Reply) | undefined;
  private server: Server | undefined;
  private readonly open = new Set<ServerResponse>();
  private stopping = false;
  url = '';

  async start(): Promise<this> {
    this.stopping = false;
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this;
  }

  reset(script: Reply[] = []): void {
    this.requests.length = 0;
    this.received = 0;
    this.script = script;
    this.respond = undefined;
    this.closedEarly.length = 0;
  }

  /** Resolves when the next request arrives. */
  async nextRequest(): Promise<ReceivedRequest> {
    const [request] = (await once(this.events, 'request')) as [ReceivedRequest];
    return request;
  }

  /** Resolves when the client of a request closes its connection before the reply ended (a request already closed counts). */
  async clientClosed(): Promise<ReceivedRequest> {
    const seen = this.closedEarly[0];
    if (seen) return seen;
    const [request] = (await once(this.events, 'closed-early')) as [ReceivedRequest];
    return request;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const res of this.open) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    let body: ReceivedRequest['body'] = {};
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8')) as ReceivedRequest['body'];
    } catch {
      // recorded as {}; the test will notice
    }
    const request: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, at: Date.now() };
    this.received++;
    if (this.record) this.requests.push(request);
    this.events.emit('request', request);
    const reply = this.respond?.(request) ?? this.script[Math.min(this.received - 1, this.script.length - 1)] ?? { body: completion('No script.') };
    this.open.add(res);
    res.on('close', () => {
      this.open.delete(res);
      if (res.writableEnded || this.stopping) return;
      this.closedEarly.push(request);
      this.events.emit('closed-early', request);
    });
    if (reply.hang) return;
    if (reply.delayMs) await pause(reply.delayMs, res);
    if (res.destroyed) return;
    if (body.stream === true && (reply.status ?? 200) < 400 && typeof reply.body !== 'string') return this.stream(reply, res);
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? completion('ok'));
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    if (!reply.trickleMs) return void res.end(text);
    const pieces = 10;
    for (let i = 0; i < pieces && !res.destroyed; i++) {
      res.write(text.slice((i * text.length) / pieces, ((i + 1) * text.length) / pieces));
      await pause(reply.trickleMs / pieces, res);
    }
    res.end();
  }

  /** A streamed reply: the role, the pieces, the finish, `[DONE]`; or the raw pieces; then the end unless `holdOpen`. */
  private async stream(reply: Reply, res: ServerResponse): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...reply.headers });
    const content = (reply.chunks ?? piecesOf(reply.body ?? completion('ok'))).map((text) => chunkEvent({ content: text }));
    const pieces = reply.raw ?? [chunkEvent({ role: 'assistant', content: '' }), ...content, ...(reply.holdOpen ? [] : [chunkEvent({}, 'stop'), 'data: [DONE]\n\n'])];
    for (const piece of pieces) {
      if (res.destroyed) return;
      res.write(piece);
      if (reply.chunkDelayMs) await pause(reply.chunkDelayMs, res);
    }
    if (!reply.holdOpen && !res.destroyed) res.end();
  }
}
