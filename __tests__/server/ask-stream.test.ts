import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ABSTAIN_ANSWER, type AskResponse } from '../../answer/answerer.js';
import { completion, FakeLlm } from '../helpers/fake-llm.js';
import { startSampleServices, type SampleServices } from '../helpers/sample-services.js';
import { allEvents, readSse, type SseEvent } from '../helpers/sse-client.js';

const QUESTION = 'How long is paid parental leave?';
/** Long enough to pass the hold at the reply's start (see answer/reply-stream.ts). */
const OPENING = 'Birthing and non-birthing parents both get paid leave ';

describe('POST /api/ask streamed as server-sent events, over a real worker and a streaming fake LLM', () => {
  const llm = new FakeLlm();
  let services: SampleServices;

  beforeAll(async () => {
    await llm.start();
    services = await startSampleServices(llm.url, { SSE_HEARTBEAT_MS: '100' });
  }, 120_000);

  afterAll(async () => {
    await services?.close();
    await llm.stop();
  });

  beforeEach(() => llm.reset());

  const open = (url: string, body: unknown = { question: QUESTION }, init: RequestInit = {}) =>
    fetch(`${url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify(body), ...init });

  /** The token texts, the answer, and the event names in order. */
  function read(events: SseEvent[]): { names: string[]; tokens: string[]; answer: AskResponse } {
    const answer = events.find((e) => e.event === 'answer');
    expect(answer).toBeDefined();
    return {
      names: events.map((e) => e.event),
      tokens: events.filter((e) => e.event === 'token').map((e) => (JSON.parse(e.data) as { text: string }).text),
      answer: JSON.parse(answer!.data) as AskResponse,
    };
  }

  it('streams the LLM tokens as they come, then the checked answer, then done, with headers that stop buffering', async () => {
    llm.reset([{ chunks: [OPENING, 'of sixteen weeks ', '[1]', ' at full pay', '.'] }]);
    const res = await open(services.withLlm.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toContain('no-cache');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('content-encoding')).toBeNull();
    const { names, tokens, answer } = read(await allEvents(res));
    expect(names.slice(-2)).toEqual(['answer', 'done']);
    expect(names.slice(0, -2).every((name) => name === 'token')).toBe(true);
    expect(tokens.length).toBeGreaterThan(2);
    expect(answer.mode).toBe('llm');
    expect(tokens.join('')).toBe(answer.answer);
    expect(answer.answer).toBe(`${OPENING}of sixteen weeks [1] at full pay.`);
    expect(answer.citations).toHaveLength(1);
    expect(llm.requests[0]!.body.stream).toBe(true);
  });

  it('streams with "stream": true in the body, without the Accept header', async () => {
    llm.reset([{ body: completion(`${OPENING}[1].`) }]);
    const res = await fetch(`${services.withLlm.url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: QUESTION, stream: true }) });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(read(await allEvents(res)).answer.answer).toBe(`${OPENING}[1].`);
  });

  it('never sends a citation marker that names no passage, even split across LLM chunks', async () => {
    llm.reset([{ chunks: [OPENING, 'of sixteen weeks [', '9] and the leave is paid [', '1', ', 4', '2].'] }]);
    const { tokens, answer } = read(await allEvents(await open(services.withLlm.url)));
    for (const token of tokens) expect(token).not.toMatch(/9\]|\[9|42/);
    expect(tokens.join('')).toBe(answer.answer);
    expect(answer.answer).toBe(`${OPENING}of sixteen weeks and the leave is paid [1].`);
    expect(answer.notices.join(' ')).toContain('[9]');
  });

  it('turns the no-answer marker into an abstention, and never shows the marker', async () => {
    llm.reset([{ chunks: ['[NOT_', 'IN_PASS', 'AGES]'] }]);
    const { names, tokens, answer } = read(await allEvents(await open(services.withLlm.url)));
    expect(names).toEqual(['token', 'answer', 'done']);
    expect(tokens).toEqual([ABSTAIN_ANSWER]);
    expect(answer).toMatchObject({ mode: 'abstain', answer: ABSTAIN_ANSWER, citations: [] });
  });

  it('sends an extractive answer as one token event', async () => {
    const { names, tokens, answer } = read(await allEvents(await open(services.withoutLlm.url)));
    expect(names).toEqual(['token', 'answer', 'done']);
    expect(answer.mode).toBe('extractive');
    expect(tokens).toEqual([answer.answer]);
    expect(answer.citations.length).toBeGreaterThan(0);
  });

  it('answers extractively, in one token, when the LLM fails before its first byte', async () => {
    llm.reset([{ status: 500, body: { error: { message: 'boom' } } }]);
    const { names, answer } = read(await allEvents(await open(services.withLlm.url)));
    expect(names).toEqual(['token', 'answer', 'done']);
    expect(answer.mode).toBe('extractive');
    expect(answer.notices.join(' ')).toContain('The language model failed');
  });

  it('aborts the LLM call when the client goes away', async () => {
    llm.reset([{ chunks: [OPENING, 'of sixteen weeks [1]'], holdOpen: true }]);
    const client = new AbortController();
    const res = await open(services.withLlm.url, undefined, { signal: client.signal });
    const closed = llm.clientClosed();
    // The first tokens arrive while the LLM still holds its response open: leave then.
    for await (const event of readSse(res)) if (event.event === 'token') break;
    client.abort();
    const request = await closed;
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.body.stream).toBe(true);
    // The service is none the worse.
    llm.reset([{ chunks: [`${OPENING}[1].`] }]);
    expect(read(await allEvents(await open(services.withLlm.url))).answer.mode).toBe('llm');
  });

  it('sends a heartbeat comment while the LLM is silent', async () => {
    llm.reset([{ chunks: [], holdOpen: true }]);
    const client = new AbortController();
    const res = await open(services.withLlm.url, undefined, { signal: client.signal });
    const closed = llm.clientClosed();
    const comments: string[] = [];
    for await (const event of readSse(res)) {
      if (event.event !== 'comment') continue;
      comments.push(event.data);
      if (event.data === 'ping') break;
    }
    client.abort();
    expect(comments[0]).toBe('stream open');
    expect(comments).toContain('ping');
    await closed;
  });

  it('refuses a bad request with a plain JSON error before any stream opens', async () => {
    const res = await open(services.withLlm.url, { question: QUESTION, stream: 'yes' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('stream must be true or false');
  });
});
