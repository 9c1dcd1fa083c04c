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

/**
 * A real HTTP server on loopback speaking the OpenAI chat-completions wire format. Replies come
 * from `script` in order (the last one repeats), or from `respond` when set.
 */
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

export class FakeLlm {
  readonly requests: ReceivedRequest[] = [];
  /** Keep every request in `requests` (tests read them); a long benchmark turns this off. */
  record = true;
  /** Requests received, recorded or not. */
  received = 0;
  script: Reply[] = [];
  respond: ((request: ReceivedRequest) => Reply) | undefined;
  private server: Server | undefined;
  private readonly open = new Set<ServerResponse>();
  url = '';

  async start(): Promise<this> {
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
  }

  async stop(): Promise<void> {
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
    const reply = this.respond?.(request) ?? this.script[Math.min(this.received - 1, this.script.length - 1)] ?? { body: completion('No script.') };
    this.open.add(res);
    res.on('close', () => this.open.delete(res));
    if (reply.hang) return;
    if (reply.delayMs) await pause(reply.delayMs, res);
    if (res.destroyed) return;
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
}
