/** `/v1` refusals raised before the route in OpenAI's shape; the operator routes without keys; CORS off by default. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { parseKeys } from '../../../server/http/api-keys.js';
import { startFakeApp, type FakeApp } from '../../helpers/fake-app.js';
import { call } from '../../helpers/http-call.js';

const wireShape = (type: string, code: string) => ({ error: { message: expect.any(String), type, param: null, code } });

describe('refusals before the route', () => {
  let open: FakeApp;
  let keyed: FakeApp;
  beforeAll(async () => {
    open = await startFakeApp();
    keyed = await startFakeApp({ apiKeys: { keys: parseKeys('sk-good'), operatorKeys: [] } });
  });
  beforeEach(() => open.reset());
  afterAll(async () => Promise.all([open.close(), keyed.close()]));

  it('answers /v1 404, 405, 401 and admission 503 in OpenAI\'s shape, and the rest of the API in ours', async () => {
    expect(await call(`${open.url}/v1/nothing`)).toMatchObject({ status: 404, body: wireShape('not_found_error', 'not_found') });
    const wrongMethod = await call(`${open.url}/v1/chat/completions`);
    expect(wrongMethod).toMatchObject({ status: 405, body: wireShape('invalid_request_error', 'method_not_allowed') });
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(await call(`${keyed.url}/v1/models`)).toMatchObject({ status: 401, body: wireShape('authentication_error', 'unauthorized') });
    expect(await call(`${open.url}/api/nothing`)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND', message: expect.any(String) } } });
    open.world.shuttingDown = true;
    const shedding = await call(`${open.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(shedding).toMatchObject({ status: 503, body: wireShape('server_error', 'shutting_down') });
  });

  it('the openai package raises a /v1 401 as its AuthenticationError, with our message', async () => {
    const client = new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
    await expect(client.models.list()).rejects.toMatchObject({ status: 401, constructor: OpenAI.AuthenticationError, message: expect.stringContaining('The key is not valid here') });
  });

  it('without any key, /api/memory and /metrics answer only a loopback client no proxy forwarded', async () => {
    expect((await call(`${open.url}/api/memory`)).status).toBe(200);
    const forwarded = await call(`${open.url}/api/memory`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(forwarded).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN', message: expect.stringContaining('OPERATOR_API_KEYS') } } });
    expect(forwarded.text).not.toMatch(/rssMb|heap/);
    // The health checks stay open to anyone.
    expect((await call(`${open.url}/readyz`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(200);
  });

  it('sends no CORS header and refuses preflights when CORS_ORIGINS is empty', async () => {
    const preflight = await call(`${open.url}/api/ask`, { method: 'OPTIONS', headers: { origin: 'https://example.org', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(405);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const plain = await call(`${open.url}/healthz`, { headers: { origin: 'https://example.org' } });
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
  });
});
