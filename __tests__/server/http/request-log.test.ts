import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { requestIdOf } from '../../../server/http/request-log.js';
import { createLogger } from '../../../server/logger.js';
import { ServiceUnavailableError } from '../../../server/http/errors.js';
import { call } from '../../helpers/http-call.js';
import { startFakeApp, type FakeApp } from '../../helpers/fake-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('the log line per request, through createApp over fakes', () => {
  let fake: FakeApp;
  const get = (path: string, init: RequestInit = {}) => call(`${fake.url}${path}`, init);
  const requestLines = () => fake.world.requests.map((line) => JSON.parse(line) as Record<string, unknown>);

  beforeAll(async () => {
    fake = await startFakeApp();
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it('writes one JSON line per request: method, route pattern, status, duration and a generated request id it returns', async () => {
    const res = await get('/api/search?q=pto');
    expect(res.status).toBe(200);
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(UUID);
    expect(fake.world.requests).toHaveLength(1);
    const [line] = requestLines();
    expect(Object.keys(line!)).toEqual(['level', 'time', 'requestId', 'method', 'route', 'status', 'ms', 'message']);
    expect(line).toEqual({ level: 'info', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), requestId: id, method: 'GET', route: '/api/search', status: 200, ms: expect.any(Number), message: 'request' });
    // The question in the query string is the user's text: it stays out of the request line.
    expect(fake.world.requests[0]).not.toContain('pto');
  });

  it('accepts a sane X-Request-Id and echoes it; replaces one that is too long or has other characters', async () => {
    const sane = 'c0ffee-42.trace:1_Ab+/=';
    const returned: (string | null)[] = [];
    for (const sent of [sane, 'x'.repeat(201), 'a b', 'id"},"level":"error', '']) {
      returned.push((await get('/healthz', { headers: { 'x-request-id': sent } })).headers.get('x-request-id'));
    }
    expect(returned[0]).toBe(sane);
    for (const id of returned.slice(1)) expect(id).toMatch(UUID);
    expect(requestLines().map((line) => line.requestId)).toEqual(returned);
    expect(requestIdOf(undefined)).toMatch(UUID);
    expect(requestIdOf('x'.repeat(200))).toBe('x'.repeat(200));
  });

  it('labels refused requests by route, unknown paths as (unmatched) with the path kept apart, and carries the id into error lines', async () => {
    fake.world.search = async () => {
      throw new ServiceUnavailableError('QUEUE_FULL', 'The search queue is full (8 waiting); retry in a moment', 2);
    };
    const failed = await get('/api/search?q=pto', { headers: { 'x-request-id': 'req-1' } });
    expect(failed.status).toBe(503);
    expect(failed.headers.get('x-request-id')).toBe('req-1');
    expect(await get('/api/ask')).toMatchObject({ status: 405 });
    expect(await get('/no/such/thing')).toMatchObject({ status: 404 });
    expect(requestLines().map(({ route, status, path }) => ({ route, status, path }))).toEqual([
      { route: '/api/search', status: 503, path: undefined },
      { route: '/api/ask', status: 405, path: undefined },
      { route: '(unmatched)', status: 404, path: '/no/such/thing' },
    ]);
    expect(JSON.parse(fake.world.logs[0]!)).toMatchObject({ level: 'warn', message: 'request failed', requestId: 'req-1', code: 'QUEUE_FULL' });
  });

  it('never logs the Authorization header', async () => {
    fake.world.search = async () => {
      throw new Error('boom');
    };
    for (const path of ['/api/search?q=pto', '/healthz', '/nothing']) await get(path, { headers: { authorization: 'Bearer secret-xyz', 'x-api-key': 'secret-xyz' } });
    expect(fake.world.requests).toHaveLength(3);
    expect(fake.world.logs).toHaveLength(1);
    expect([...fake.world.requests, ...fake.world.logs].join('\n')).not.toContain('secret-xyz');
  });
});

describe('the logger', () => {
  it('redacts API keys and Authorization wherever our lines carry them', () => {
    const lines: string[] = [];
    const log = createLogger('debug', (line) => lines.push(line));
    log.info('config', { apiKey: 'k1', LLM_API_KEY: 'k2', llm: { apiKey: 'k3', baseUrl: 'http://llm' }, headers: { authorization: 'Bearer k4', 'x-api-key': 'k5' }, authorization: 'Bearer k6', request: { headers: { authorization: 'Bearer k7' } } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/k[1-7]/);
    expect(JSON.parse(lines[0]!)).toMatchObject({ apiKey: '[redacted]', llm: { apiKey: '[redacted]', baseUrl: 'http://llm' }, headers: { authorization: '[redacted]', 'x-api-key': '[redacted]' } });
  });

  it('keeps the line\'s message whatever the fields, and drops lines below its level', () => {
    const lines: string[] = [];
    const log = createLogger('warn', (line) => lines.push(line));
    log.info('dropped');
    log.warn('kept', { error: 'why' });
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([{ level: 'warn', time: expect.any(String), error: 'why', message: 'kept' }]);
  });
});
