import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { ServiceUnavailableError } from '../../server/http/errors.js';
import { startFakeApp, type FakeApp } from '../helpers/fake-app.js';
import { allEvents } from '../helpers/sse-client.js';

describe('errors raised after a stream has started, over a fake gate', () => {
  let fake: FakeApp;

  beforeAll(async () => {
    fake = await startFakeApp();
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.reset();
    fake.world.search = async () => {
      throw new ServiceUnavailableError('QUEUE_FULL', 'The search queue is full; retry shortly', 1);
    };
  });

  it('ends an /api/ask stream with an error event in our error shape, and no done', async () => {
    const res = await fetch(`${fake.url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify({ question: 'How many vacation days do I get?' }) });
    expect(res.status).toBe(200);
    const events = await allEvents(res);
    expect(events.map((e) => e.event)).toEqual(['error']);
    expect(JSON.parse(events[0]!.data)).toEqual({ error: { code: 'QUEUE_FULL', message: 'The search queue is full; retry shortly' } });
  });

  it('ends a /v1/chat/completions stream with an error in OpenAI\'s shape, which the openai package raises', async () => {
    const client = new OpenAI({ baseURL: `${fake.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'rag512', messages: [{ role: 'user', content: 'How many vacation days do I get?' }], stream: true });
    const error = await (async () => {
      for await (const chunk of stream) expect(chunk.choices[0]!.delta.role).toBe('assistant');
    })().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ type: 'server_error', code: 'queue_full' });
  });

  it('answers a plain /v1 request that fails with the status and OpenAI\'s shape', async () => {
    const res = await fetch(`${fake.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'How many vacation days do I get?' }] }) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({ error: { message: 'The search queue is full; retry shortly', type: 'server_error', param: null, code: 'queue_full' } });
  });
});
