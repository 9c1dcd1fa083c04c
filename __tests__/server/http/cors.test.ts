import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { call } from '../../helpers/http-call.js';
import { startFakeApp, type FakeApp } from '../../helpers/fake-app.js';

const PAGE = 'https://page.example';

describe('CORS_ORIGINS, over a real HTTP server', () => {
  let withCors: FakeApp;
  let without: FakeApp;

  beforeAll(async () => {
    withCors = await startFakeApp({ extra: { corsOrigins: [PAGE] } });
    without = await startFakeApp();
  });
  afterAll(async () => {
    await withCors.close();
    await without.close();
  });

  it('lets a listed origin read answers, and the headers it needs', async () => {
    const res = await call(`${withCors.url}/healthz`, { headers: { Origin: PAGE } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(PAGE);
    expect(res.headers.get('access-control-expose-headers')).toBe('Retry-After,RateLimit,RateLimit-Policy,X-Request-Id');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('answers a listed origin\'s preflight with the methods, headers and max age', async () => {
    const res = await call(`${withCors.url}/api/ask`, { method: 'OPTIONS', headers: { Origin: PAGE, 'Access-Control-Request-Method': 'POST' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(PAGE);
    expect(res.headers.get('access-control-allow-methods')).toBe('GET,HEAD,POST');
    expect(res.headers.get('access-control-allow-headers')).toBe('Content-Type,Authorization,Accept,X-Request-Id');
    expect(res.headers.get('access-control-max-age')).toBe('600');
  });

  it('sends no CORS header to an origin not listed, nor to any origin when none is', async () => {
    for (const url of [`${withCors.url}/healthz`, `${without.url}/healthz`]) {
      const res = await call(url, { headers: { Origin: 'https://other.example' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
    const preflight = await call(`${without.url}/api/ask`, { method: 'OPTIONS', headers: { Origin: PAGE, 'Access-Control-Request-Method': 'POST' } });
    expect(preflight.status).toBe(405);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});
