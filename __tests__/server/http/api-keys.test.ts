import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { parseKeys } from '../../../server/http/api-keys.js';
import { loadConfig } from '../../../server/config.js';
import { startFakeApp, type FakeApp } from '../../helpers/fake-app.js';

const KEY = 'team-key-0123456789';
const OTHER = 'second-key-abcdef';
const OPERATOR = 'operator-key-xyz';
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('API keys', () => {
  let fake: FakeApp;
  const get = (path: string, key?: string) => fetch(`${fake.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

  beforeAll(async () => {
    // One key in clear, one as its sha256, as API_KEYS may give them.
    fake = await startFakeApp({ withMetrics: true, apiKeys: { keys: parseKeys(`${KEY}, sha256:${sha(OTHER)}`), operatorKeys: parseKeys(OPERATOR) } });
  });
  afterAll(() => fake.close());

  it('refuses the API without a key, or with a wrong one, with 401 and WWW-Authenticate, naming no key', async () => {
    for (const key of [undefined, 'wrong-key', `${KEY}x`, OPERATOR]) {
      const res = await get('/api/search?q=leave', key);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('UNAUTHORIZED');
      expect(body.error.message).not.toContain(KEY);
    }
    // An unknown path says 401 too: without a key, nothing tells which routes exist.
    expect((await get('/api/nothing')).status).toBe(401);
  });

  it('opens the API to each key, in clear or given as its sha256', async () => {
    expect((await get('/api/search?q=leave', KEY)).status).toBe(200);
    expect((await get('/api/search?q=leave', OTHER)).status).toBe(200);
  });

  it('leaves the page and the health checks open', async () => {
    for (const path of ['/', '/healthz', '/readyz']) expect((await get(path)).status).not.toBe(401);
  });

  it('keeps /metrics and /api/memory for the operator key', async () => {
    for (const path of ['/metrics', '/api/memory']) {
      expect((await get(path, KEY)).status).toBe(401);
      expect((await get(path, OPERATOR)).status).toBe(200);
    }
  });

  it('never writes a key to the log', async () => {
    await get('/api/search?q=leave', KEY);
    await get('/api/search?q=leave', 'wrong-key');
    const everything = [...fake.world.logs, ...fake.world.requests].join('\n');
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain('wrong-key');
  });

  it('is read from API_KEYS and OPERATOR_API_KEYS; unset, nothing is required', () => {
    expect(loadConfig({}).access).toEqual({ keys: [], operatorKeys: [] });
    const { access } = loadConfig({ API_KEYS: ` ${KEY} ,, sha256:${sha(OTHER).toUpperCase()}`, OPERATOR_API_KEYS: OPERATOR });
    expect(access.keys.map((k) => k.toString('hex'))).toEqual([sha(KEY), sha(OTHER)]);
    expect(access.operatorKeys.map((k) => k.toString('hex'))).toEqual([sha(OPERATOR)]);
  });
});
