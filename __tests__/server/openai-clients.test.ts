import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, streamText } from 'ai';
import OpenAI from 'openai';
import type { Citation } from '../../answer/answerer.js';
import type { Service } from '../../server/service.js';
import { completion, FakeLlm, type ReceivedRequest } from '../helpers/fake-llm.js';
import { startSampleServices, type SampleServices } from '../helpers/sample-services.js';

const QUESTION = 'How long is paid parental leave?';
const REPLY = 'Birthing and non-birthing parents both get sixteen weeks of paid leave [1]. The moon has none [7].';
const CHECKED = 'Birthing and non-birthing parents both get sixteen weeks of paid leave [1]. The moon has none.';

/** The extra fields our responses carry beside OpenAI's. */
interface Extras {
  citations?: Citation[];
  rag512?: { mode: string; notices: string[] };
}

describe('the OpenAI-compatible API, called by the openai package and the AI SDK', () => {
  const llm = new FakeLlm();
  let services: SampleServices;
  const cases: [string, () => Service][] = [
    ['through the LLM', () => services.withLlm],
    ['without an LLM', () => services.withoutLlm],
  ];

  beforeAll(async () => {
    await llm.start();
    services = await startSampleServices(llm.url);
  }, 120_000);

  afterAll(async () => {
    await services?.close();
    await llm.stop();
  });

  beforeEach(() => llm.reset([{ body: completion(REPLY) }]));

  const openai = (service: Service) => new OpenAI({ baseURL: `${service.url}/v1`, apiKey: 'x', maxRetries: 0 });
  const aiSdk = (service: Service) => createOpenAICompatible({ name: 'rag512', baseURL: `${service.url}/v1` })('rag512');
  const expectAnswer = (service: Service, text: string, extras: Extras) => {
    expect(extras.citations!.length).toBeGreaterThan(0);
    if (service === services.withLlm) {
      expect(text).toBe(CHECKED);
      expect(extras.citations).toHaveLength(1);
    } else {
      expect(extras.rag512!.mode).toBe('extractive');
      expect(text).toMatch(/\[1\]/);
    }
  };

  it('lists one model', async () => {
    const models = [];
    for await (const model of openai(services.withLlm).models.list()) models.push(model.id);
    expect(models).toEqual(['rag512']);
  });

  it.each(cases)('answers the openai package, plain, %s', async (_how, service) => {
    const result = await openai(service()).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: QUESTION }] });
    expect(result.object).toBe('chat.completion');
    expect(result.model).toBe('rag512');
    expect(result.choices[0]!.finish_reason).toBe('stop');
    expect(result.usage!.total_tokens).toBe(result.usage!.prompt_tokens + result.usage!.completion_tokens);
    expect(result.usage!.completion_tokens).toBeGreaterThan(0);
    expectAnswer(service(), result.choices[0]!.message.content!, result as unknown as Extras);
  });

  it.each(cases)('streams to the openai package, %s', async (_how, service) => {
    const stream = await openai(service()).chat.completions.create({ model: 'rag512', messages: [{ role: 'user', content: QUESTION }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const last = chunks[chunks.length - 1]!;
    expect(last.choices[0]!.finish_reason).toBe('stop');
    expect(last.usage!.completion_tokens).toBeGreaterThan(0);
    expectAnswer(service(), text, last as unknown as Extras);
    if (service() === services.withLlm) expect(llm.requests[0]!.body.stream).toBe(true);
  });

  it.each(cases)('answers the AI SDK, plain, %s', async (_how, service) => {
    const result = await generateText({ model: aiSdk(service()), prompt: QUESTION });
    expect(result.finishReason).toBe('stop');
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expectAnswer(service(), result.text, result.response.body as Extras);
  });

  it.each(cases)('streams to the AI SDK, %s', async (_how, service) => {
    const result = streamText({ model: aiSdk(service()), prompt: QUESTION, includeRawChunks: true });
    const raw: Extras[] = [];
    for await (const part of result.fullStream) if (part.type === 'raw') raw.push(part.rawValue as Extras);
    expect(await result.finishReason).toBe('stop');
    expectAnswer(service(), await result.text, raw.find((chunk) => chunk.citations)!);
  });

  it('makes a follow-up standalone with one short LLM call before retrieval', async () => {
    llm.respond = (request: ReceivedRequest) => {
      const condensing = request.body.messages!.some((m) => m.content.includes('Last question:'));
      return { body: completion(condensing ? 'How long is paid parental leave for adoptive parents?' : REPLY) };
    };
    const result = await openai(services.withLlm).chat.completions.create({
      model: 'rag512',
      messages: [
        { role: 'user', content: QUESTION },
        { role: 'assistant', content: 'Sixteen weeks [1].' },
        { role: 'user', content: 'and for adoptive parents?' },
      ],
    });
    expect(llm.requests).toHaveLength(2);
    expect(llm.requests[0]!.body.messages!.map((m) => m.content).join('\n')).toContain(QUESTION);
    expect(llm.requests[1]!.body.messages!.map((m) => m.content).join('\n')).toMatch(/^<<question [0-9a-f]{12}>>\nHow long is paid parental leave for adoptive parents\?$/m);
    expect((result as unknown as Extras).rag512!.notices.join(' ')).toContain('adoptive parents?');
  });

  it('makes a follow-up standalone by the rule without an LLM', async () => {
    const result = await openai(services.withoutLlm).chat.completions.create({
      model: 'rag512',
      messages: [
        { role: 'user', content: QUESTION },
        { role: 'assistant', content: 'Sixteen weeks [1].' },
        { role: 'user', content: [{ type: 'text', text: 'and for adoptive parents?' }] },
      ],
    });
    expect((result as unknown as Extras).rag512!.notices.join(' ')).toContain('"and for adoptive parents? (long paid parental leave)"');
  });

  it('aborts the LLM call when a plain (not streamed) client goes away', async () => {
    llm.reset([{ hang: true }]);
    const client = new AbortController();
    const closed = llm.clientClosed();
    const arrived = llm.nextRequest();
    const request = openai(services.withLlm).chat.completions.create({ model: 'rag512', messages: [{ role: 'user', content: QUESTION }] }, { signal: client.signal });
    const settled = request.then(() => undefined, (e: unknown) => e);
    await arrived;
    client.abort();
    expect(await settled).toBeInstanceOf(OpenAI.APIUserAbortError);
    expect((await closed).body.stream).toBe(false);
  });

  it('refuses a bad request in OpenAI\'s error shape', async () => {
    const error = await openai(services.withLlm).chat.completions.create({ model: 'rag512', messages: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const body = (error as InstanceType<typeof OpenAI.BadRequestError>).error as { type: string; param: string; message: string };
    expect(body).toMatchObject({ type: 'invalid_request_error', param: 'messages' });
    const assistantLast = await fetch(`${services.withLlm.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'assistant', content: 'hi' }] }) });
    expect(assistantLast.status).toBe(400);
    expect(await assistantLast.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'messages', code: 'invalid_request' } });
  });
});
