/**
 * Issue 15: one client cannot take the service from the others. Rate limits per client with the
 * IETF RateLimit headers, a fair share of the queue per client, CORS only for listed origins, and
 * `/v1` refusals in OpenAI's shape, over real services (real worker, static model, fake LLM).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeLlm } from '../helpers/fake-llm.js';
import { call, post, type Reply } from '../helpers/http-call.js';
import { startSampleServices, type SampleServices } from '../helpers/sample-services.js';

const ORIGIN = 'https://allowed.example';

describe('abuse controls on a real service', () => {
  let llm: FakeLlm;
  let services: SampleServices;
  beforeAll(async () => {
    llm = await new FakeLlm().start();
    // Every LLM call hangs until its client goes: the questions that reach it stay in flight.
    llm.reset([{ hang: true }]);
    services = await startSampleServices(llm.url, {
      TRUST_PROXY_HOPS: '1',
      RATE_LIMIT_PER_MINUTE: '8',
      CLIENT_MAX_IN_FLIGHT: '3',
      CORS_ORIGINS: `${ORIGIN},http://localhost:5173`,
      SHED_DELAY_MS: '20',
      LLM_TIMEOUT_MS: '120000',
      LLM_ATTEMPT_TIMEOUT_MS: '120000',
    });
  }, 120_000);
  afterAll(async () => {
    await services.close();
    await llm.stop();
  });

  /** A request as a client at `address` (behind the one proxy TRUST_PROXY_HOPS=1 believes). */
  const as = (address: string, init: RequestInit = {}) => ({ ...init, headers: { 'x-forwarded-for': address, ...(init.headers as Record<string, string> | undefined) } });
  const search = (url: string, address: string, q = 'vacation days') => call(`${url}/api/search?q=${encodeURIComponent(q)}&k=2`, as(address));

  describe('rate limit (RATE_LIMIT_PER_MINUTE=8)', () => {
    it('counts each client apart, says where it stands in RateLimit headers, and refuses the 9th with 429 and Retry-After', async () => {
      const { url } = services.withoutLlm;
      const remaining: string[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await search(url, '198.51.100.1');
        expect(res.status).toBe(200);
        expect(res.headers.get('ratelimit-policy')).toBe('"per-minute";q=8;w=60');
        remaining.push(/r=(\d+)/.exec(res.headers.get('ratelimit') ?? '')?.[1] ?? '?');
      }
      expect(remaining).toEqual(['7', '6', '5', '4', '3', '2', '1', '0']);
      const refused = await search(url, '198.51.100.1');
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringMatching(/^Too many requests: at most 8 .* a minute per client; retry in \d+ s$/) } });
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused.headers.get('ratelimit')).toMatch(/^"per-minute";r=0;t=\d+$/);
      // Another address has its own budget; the cheap routes are not counted.
      expect((await search(url, '198.51.100.2')).status).toBe(200);
      expect((await call(`${url}/healthz`, as('198.51.100.1'))).status).toBe(200);
      expect((await call(`${url}/readyz`, as('198.51.100.1'))).headers.get('ratelimit')).toBeNull();
      // The OpenAI route is counted too, and refuses in OpenAI's shape.
      const wire = await call(`${url}/v1/chat/completions`, as('198.51.100.1', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'pto' }] }) }));
      expect(wire.status).toBe(429);
      expect(wire.body).toEqual({ error: { message: expect.stringMatching(/^Too many requests/), type: 'rate_limit_error', param: null, code: 'rate_limited' } });
    });

    it('counts an IPv6 client by its /64, so walking through its addresses gains nothing', async () => {
      const { url } = services.withoutLlm;
      const statuses: number[] = [];
      for (let i = 1; i <= 9; i++) statuses.push((await search(url, `2001:db8:1:2::${i.toString(16)}`)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 429]);
      expect((await search(url, '2001:db8:1:3::1')).status).toBe(200);
    });
  });

  describe('fair share (CLIENT_MAX_IN_FLIGHT=3)', () => {
    it('a greedy client holding its share is refused more, while another client is still admitted and answered', async () => {
      const { url } = services.withLlm;
      const greedy = '192.0.2.66';
      const abort = new AbortController();
      const ask = (address: string, signal?: AbortSignal) =>
        fetch(`${url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': address }, body: JSON.stringify({ question: 'How many vacation days do I get?' }), ...(signal ? { signal } : {}) });
      // Three questions wait on the (hanging) LLM: the greedy client's whole share.
      const held = [0, 1, 2].map(() => ask(greedy, abort.signal).catch(() => undefined));
      for (let i = 0; i < 3; i++) await llm.nextRequest().catch(() => undefined);
      while (llm.received < 3) await new Promise((resolve) => setTimeout(resolve, 20));
      const more = await Promise.all([ask(greedy), ask(greedy)]);
      expect(more.map((res) => res.status)).toEqual([429, 429]);
      expect(await more[0]!.json()).toEqual({ error: { code: 'TOO_MANY_IN_FLIGHT', message: expect.stringContaining('already has 3 questions or searches in flight') } });
      expect(more[0]!.headers.get('retry-after')).toBe('1');
      // Someone else gets in at once, and is answered.
      const other = await search(url, '192.0.2.10');
      expect(other.status).toBe(200);
      expect((other.body as { results: unknown[] }).results.length).toBeGreaterThan(0);
      // The greedy client's places come back when its requests end (here: it gives up).
      abort.abort();
      await Promise.all(held);
      let after: Reply | undefined;
      for (let i = 0; i < 100 && after?.status !== 200; i++) {
        after = await search(url, greedy);
        if (after.status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(after?.status).toBe(200);
    });
  });

  describe('CORS (CORS_ORIGINS)', () => {
    it('answers a preflight from a listed origin, with the methods and headers a page may use', async () => {
      const res = await call(`${services.withoutLlm.url}/api/ask`, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' } });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(res.headers.get('access-control-allow-methods')).toBe('GET,HEAD,POST');
      expect(res.headers.get('access-control-allow-headers')).toBe('Content-Type,Authorization,Accept,X-Request-Id');
      expect(res.headers.get('access-control-max-age')).toBe('600');
      expect(res.headers.get('vary')).toContain('Origin');
    });

    it('gives a preflight from any other origin no allow header (the browser then blocks the call): a 405 like any OPTIONS', async () => {
      const res = await call(`${services.withoutLlm.url}/api/ask`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      expect(res.status).toBe(405);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('access-control-allow-methods')).toBeNull();
      expect(res.body).toEqual({ error: { code: 'METHOD_NOT_ALLOWED', message: expect.any(String) } });
    });

    it('lets a listed origin read answers and refusals (with the rate headers exposed), and no other', async () => {
      const { url } = services.withoutLlm;
      const allowed = await post(`${url}/api/ask`, { question: 'How many vacation days do I get?' }).then(() => call(`${url}/api/search?q=pto`, { headers: { origin: ORIGIN, 'x-forwarded-for': '203.0.113.7' } }));
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(allowed.headers.get('access-control-expose-headers')).toBe('Retry-After,RateLimit,RateLimit-Policy,X-Request-Id');
      const refused = await call(`${url}/api/search`, { headers: { origin: 'http://localhost:5173' } });
      expect(refused.status).toBe(400);
      expect(refused.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      const other = await call(`${url}/api/search?q=pto`, { headers: { origin: 'https://evil.example', 'x-forwarded-for': '203.0.113.8' } });
      expect(other.status).toBe(200);
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});
