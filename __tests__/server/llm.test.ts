import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { LlmSettings } from '../../server/config.js';
import type { ChatMessage } from '../../answer/ports.js';
import { createLlmClient, LlmError, parseCompletion, withoutCredentials } from '../../server/llm.js';
import { completion, FakeLlm } from '../helpers/fake-llm.js';

const fake = new FakeLlm();
const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'Answer from the passages.' },
  { role: 'user', content: 'How long is parental leave?' },
];

beforeAll(async () => {
  await fake.start();
});

afterAll(async () => {
  await fake.stop();
});

beforeEach(() => {
  fake.reset();
});

/** Small timeouts so the whole file runs in seconds. */
function settings(overrides: Partial<LlmSettings> = {}): LlmSettings {
  return { baseUrl: fake.url, apiKey: 'sk-test', model: 'test-model', totalTimeoutMs: 3000, attemptTimeoutMs: 2000, retries: 2, maxRetryAfterMs: 300, maxTokens: 100, maxConcurrency: 4, maxWaiting: 16, ...overrides };
}

/** The LlmError a call rejects with, and how long it took to reject. */
async function failure(options: Partial<LlmSettings> = {}): Promise<{ error: LlmError; ms: number }> {
  const started = Date.now();
  const error: unknown = await createLlmClient(settings(options)).complete(MESSAGES).then(
    () => new Error('the call succeeded'),
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(LlmError);
  return { error: error as LlmError, ms: Date.now() - started };
}

/** Milliseconds between the first and second request the fake received. */
function gap(): number {
  return fake.requests[1]!.at - fake.requests[0]!.at;
}

describe('createLlmClient', () => {
  it('POSTs model and messages with the bearer key to /chat/completions and returns text and model', async () => {
    fake.reset([{ body: completion('  Parental leave lasts twelve weeks [1].  ', 'served-model') }]);
    const result = await createLlmClient(settings()).complete(MESSAGES);
    expect(result).toMatchObject({ text: 'Parental leave lasts twelve weeks [1].', model: 'served-model' });
    expect(result.ms).toBeGreaterThanOrEqual(0);
    expect(fake.requests.map((r) => r.method)).toEqual(['POST']);
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request!.path).toBe('/v1/chat/completions');
    expect(request!.headers.authorization).toBe('Bearer sk-test');
    expect(request!.headers['content-type']).toMatch(/^application\/json/);
    expect(request!.body).toMatchObject({ model: 'test-model', messages: MESSAGES, max_tokens: 100, stream: false });
  });

  it('sends no authorization header without an API key, and falls back to the requested model name', async () => {
    fake.reset([{ body: { choices: [{ message: { content: 'ok' } }] } }]);
    const result = await createLlmClient(settings({ apiKey: null })).complete(MESSAGES);
    expect(result).toMatchObject({ text: 'ok', model: 'test-model' });
    expect(fake.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('retries a 500 and succeeds', async () => {
    fake.reset([{ status: 500, body: { error: 'boom' } }, { body: completion('second time lucky') }]);
    const result = await createLlmClient(settings()).complete(MESSAGES);
    expect(result.text).toBe('second time lucky');
    expect(fake.requests).toHaveLength(2);
  });

  it('waits as long as a 429’s Retry-After asks', async () => {
    fake.reset([{ status: 429, headers: { 'retry-after': '1' }, body: { error: 'slow down' } }, { body: completion('ok') }]);
    await createLlmClient(settings({ maxRetryAfterMs: 2000, totalTimeoutMs: 5000 })).complete(MESSAGES);
    expect(fake.requests).toHaveLength(2);
    expect(gap()).toBeGreaterThanOrEqual(900);
  });

  it('does not retry when Retry-After asks for longer than maxRetryAfterMs', async () => {
    fake.reset([{ status: 429, headers: { 'retry-after': '120' }, body: { error: 'slow down' } }, { body: completion('ok') }]);
    const { error, ms } = await failure({ maxRetryAfterMs: 300, totalTimeoutMs: 30_000 });
    expect(fake.requests).toHaveLength(1);
    expect(error).toMatchObject({ kind: 'http', status: 429 });
    // Far from the 120 s asked for and the 30 s deadline, with seconds to spare for a loaded machine.
    expect(ms).toBeLessThan(10_000);
  });

  it('gives up on a persistent 500 after retries + 1 requests with an http LlmError', async () => {
    fake.reset([{ status: 500, body: { error: 'boom' } }]);
    const { error } = await failure({ retries: 2 });
    expect(fake.requests).toHaveLength(3);
    expect(error).toMatchObject({ name: 'LlmError', kind: 'http', status: 500 });
    expect(error.message).toContain('status code 500');
    expect(error.message).toContain(`${fake.url}/chat/completions`);
  });

  it('does not retry a 400', async () => {
    fake.reset([{ status: 400, body: { error: { message: 'bad request' } } }, { body: completion('never sent') }]);
    const { error } = await failure();
    expect(error).toMatchObject({ kind: 'http', status: 400 });
    expect(fake.requests).toHaveLength(1);
  });

  it('rejects a body that is not JSON as a response error', async () => {
    fake.reset([{ body: 'not json' }]);
    const { error } = await failure();
    expect(error.kind).toBe('response');
    expect(error.message).toContain('not JSON');
    expect(fake.requests).toHaveLength(1);
  });

  it('rejects a completion without choices as a response error', async () => {
    fake.reset([{ body: { choices: [] } }]);
    const { error } = await failure();
    expect(error.kind).toBe('response');
    expect(error.message).toContain('choices[0].message.content');
  });

  it('times out a server that never answers within totalTimeoutMs', async () => {
    fake.reset([{ hang: true }]);
    const { error, ms } = await failure({ totalTimeoutMs: 800, attemptTimeoutMs: 30_000 });
    expect(error.kind).toBe('timeout');
    // Only the 800 ms deadline can end this call (the attempt's is 30 s); 5 s of slack for a loaded machine.
    expect(ms).toBeLessThan(800 + 5000);
  });

  it('times out an attempt that sends no headers in attemptTimeoutMs, without retrying it', async () => {
    fake.reset([{ hang: true }]);
    const { error, ms } = await failure({ totalTimeoutMs: 30_000, attemptTimeoutMs: 300 });
    expect(error.kind).toBe('timeout');
    // Well before the 30 s total deadline, which is what would end the call if the attempt's did not.
    expect(ms).toBeLessThan(300 + 10_000);
    expect(fake.requests).toHaveLength(1);
  });

  it('times out a body trickled past totalTimeoutMs after prompt headers', async () => {
    // ky's own timeout stops at the headers, so only the client's total deadline catches this.
    fake.reset([{ body: completion('x'.repeat(2000)), trickleMs: 30_000 }]);
    const { error, ms } = await failure({ totalTimeoutMs: 1000, attemptTimeoutMs: 1000 });
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('1000 ms');
    // Well before the 30 s trickle would end; the slack is for a loaded machine.
    expect(ms).toBeLessThan(1000 + 10_000);
  });

  it('refuses a reply far larger than LLM_MAX_TOKENS can need, without reading it all', async () => {
    fake.reset([{ body: completion('x'.repeat(500_000)) }]);
    const { error } = await failure({ retries: 0 });
    expect(error.kind).toBe('response');
    expect(error.message).toMatch(/more than the \d+ bytes a reply of LLM_MAX_TOKENS can need/);
  });

  it('never names the credentials a base URL carries', async () => {
    const closed = await new FakeLlm().start();
    await closed.stop();
    const withCredentials = closed.url.replace('http://', 'http://user:hunter2@');
    const { error } = await failure({ baseUrl: withCredentials, retries: 0 });
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('user:');
    expect(withoutCredentials('https://user:key@llm.example/v1/chat/completions')).toBe('https://llm.example/v1/chat/completions');
  });

  it('reports a refused connection as a network error', async () => {
    const closed = await new FakeLlm().start();
    await closed.stop();
    const { error } = await failure({ baseUrl: closed.url, retries: 0 });
    expect(error.kind).toBe('network');
    expect(error.message).toContain(`${closed.url}/chat/completions`);
  });
});

describe('parseCompletion', () => {
  const url = 'http://llm.test/v1/chat/completions';

  it('returns the trimmed content and the served model', () => {
    expect(parseCompletion(JSON.stringify(completion(' hi ', 'm2')), url, 'm1')).toEqual({ text: 'hi', model: 'm2' });
  });

  it.each([
    ['not JSON', 'not json'],
    ['null', 'null'],
    ['no choices', '{}'],
    ['empty choices', '{"choices":[]}'],
    ['blank content', JSON.stringify(completion('   '))],
    ['non-string content', '{"choices":[{"message":{"content":42}}]}'],
  ])('rejects %s as a response error naming the URL', (_label, raw) => {
    let thrown: unknown;
    try {
      parseCompletion(raw, url, 'm1');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LlmError);
    expect(thrown).toMatchObject({ kind: 'response' });
    expect((thrown as LlmError).message).toContain(url);
  });
});
