import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { ChatMessage } from '../../answer/ports.js';
import type { LlmSettings } from '../../server/config.js';
import { createLlmClient, LlmError } from '../../server/llm.js';
import { chunkEvent, completion, FakeLlm } from '../helpers/fake-llm.js';

const fake = new FakeLlm();
const MESSAGES: ChatMessage[] = [{ role: 'user', content: 'How long is parental leave?' }];

beforeAll(async () => {
  await fake.start();
});

afterAll(async () => {
  await fake.stop();
});

beforeEach(() => fake.reset());

function settings(overrides: Partial<LlmSettings> = {}): LlmSettings {
  return { baseUrl: fake.url, apiKey: 'sk-test', model: 'test-model', totalTimeoutMs: 5000, attemptTimeoutMs: 3000, retries: 2, maxRetryAfterMs: 300, maxTokens: 100, maxConcurrency: 4, maxWaiting: 16, ...overrides };
}

async function collect(stream: AsyncIterable<string>): Promise<string[]> {
  const pieces: string[] = [];
  for await (const piece of stream) pieces.push(piece);
  return pieces;
}

async function failure(stream: AsyncIterable<string>): Promise<LlmError> {
  const error = await collect(stream).then(() => new Error('the stream succeeded'), (rejection: unknown) => rejection);
  expect(error).toBeInstanceOf(LlmError);
  return error as LlmError;
}

describe('LlmClient.stream', () => {
  it('yields the text deltas as the server sends them, asking with stream: true', async () => {
    fake.reset([{ chunks: ['Sixteen ', 'weeks ', '[1].'] }]);
    expect(await collect(createLlmClient(settings()).stream(MESSAGES))).toEqual(['Sixteen ', 'weeks ', '[1].']);
    expect(fake.requests[0]!.body).toMatchObject({ model: 'test-model', stream: true, max_tokens: 100 });
    expect(fake.requests[0]!.headers.authorization).toBe('Bearer sk-test');
  });

  it('retries before the first byte, never after', async () => {
    fake.reset([{ status: 503, body: { error: { message: 'busy' } } }, { chunks: ['ok'] }]);
    expect(await collect(createLlmClient(settings()).stream(MESSAGES))).toEqual(['ok']);
    expect(fake.received).toBe(2);
    fake.reset([{ raw: [chunkEvent({ content: 'Half an ans' }), 'data: {broken\n\n'] }, { chunks: ['never asked'] }]);
    const pieces: string[] = [];
    const error = await (async () => {
      for await (const piece of createLlmClient(settings()).stream(MESSAGES)) pieces.push(piece);
    })().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(LlmError);
    expect((error as LlmError).kind).toBe('response');
    expect(pieces).toEqual(['Half an ans']);
    expect(fake.received).toBe(1);
  });

  it('takes a whole JSON body from a server that ignores stream: true', async () => {
    fake.respond = () => ({ body: JSON.stringify(completion('All at once [1].')), headers: { 'content-type': 'application/json' } });
    expect(await collect(createLlmClient(settings()).stream(MESSAGES))).toEqual(['All at once [1].']);
  });

  it('refuses such a JSON body when it is far larger than LLM_MAX_TOKENS can need, as a plain reply is', async () => {
    fake.respond = () => ({ body: JSON.stringify(completion('x'.repeat(500_000))), headers: { 'content-type': 'application/json' } });
    const error = await failure(createLlmClient(settings({ retries: 0 })).stream(MESSAGES));
    expect(error.kind).toBe('response');
    expect(error.message).toMatch(/more than the \d+ bytes a reply of LLM_MAX_TOKENS can need/);
  });

  it('reads CRLF lines, comments and events split anywhere', async () => {
    const text = `: keep-alive\r\n\r\n${chunkEvent({ content: 'One ' }).replace(/\n/g, '\r\n')}${chunkEvent({ content: 'two.' })}data: [DONE]\n\n`;
    fake.reset([{ raw: Array.from({ length: Math.ceil(text.length / 7) }, (_, i) => text.slice(i * 7, i * 7 + 7)) }]);
    expect((await collect(createLlmClient(settings()).stream(MESSAGES))).join('')).toBe('One two.');
  });

  it('refuses an endless line, and cuts a reply longer than the bound', async () => {
    fake.reset([{ raw: [`data: ${'x'.repeat(70 * 1024)}`] }]);
    expect((await failure(createLlmClient(settings()).stream(MESSAGES))).message).toContain('longer than');
    fake.reset([{ chunks: Array.from({ length: 500 }, () => 'word ') }]);
    const text = (await collect(createLlmClient(settings({ maxTokens: 16 })).stream(MESSAGES))).join('');
    expect(text.length).toBe(16 * 16);
  });

  it('passes on an error the server sends in the stream', async () => {
    fake.reset([{ raw: [chunkEvent({ content: 'Half' }), `data: ${JSON.stringify({ error: { message: 'overloaded' } })}\n\n`] }]);
    expect((await failure(createLlmClient(settings()).stream(MESSAGES))).message).toContain('overloaded');
  });

  it('ends within the total bound when the stream stalls', async () => {
    fake.reset([{ chunks: ['Stalled'], holdOpen: true }]);
    const error = await failure(createLlmClient(settings({ totalTimeoutMs: 300 })).stream(MESSAGES));
    expect(error.kind).toBe('timeout');
    await fake.clientClosed();
  });

  it('closes the upstream request when cancelled, or when the reader stops early', async () => {
    fake.reset([{ chunks: ['Never ending'], holdOpen: true }]);
    const cancel = new AbortController();
    const pieces: string[] = [];
    const error = await (async () => {
      for await (const piece of createLlmClient(settings()).stream(MESSAGES, cancel.signal)) {
        pieces.push(piece);
        cancel.abort(new Error('the client left'));
      }
    })().then(() => undefined, (e: unknown) => e);
    expect((error as LlmError).kind).toBe('cancelled');
    expect((error as LlmError).message).toContain('the client left');
    await fake.clientClosed();
    fake.reset([{ chunks: ['Never ending'], holdOpen: true }]);
    for await (const piece of createLlmClient(settings()).stream(MESSAGES)) if (piece) break;
    await fake.clientClosed();
  });
});
