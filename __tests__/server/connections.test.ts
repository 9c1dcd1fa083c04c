import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { prebuild } from '../../indexing/prebuild.js';
import { loadConfig } from '../../server/config.js';
import { silentLogger } from '../../server/logger.js';
import { startService, type Service } from '../../server/service.js';
import { SAMPLE_CORPUS, SHARED_MODELS, TINY_MODEL } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

const WORKER = path.resolve('dist/workers/worker.js');
const MAX_CONNECTIONS = 4;

/** A raw client: what it received, and a promise of the server closing it. */
function rawClient(url: string): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.on('data', (data) => (text += data.toString('latin1')));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.once('connect', () => resolve({ socket, received: () => text, closed }));
    socket.once('error', reject);
  });
}

describe('connections a client holds open', () => {
  let service: Service;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    let dir: string;
    ({ dir, cleanup } = await tempDir());
    const indexDir = path.join(dir, 'index');
    await prebuild({ docsDir: path.join(SAMPLE_CORPUS, 'leave'), outDir: indexDir, embedding: TINY_MODEL, vectraExport: false, calibration: false });
    const config = loadConfig({
      PORT: '0', HOST: '127.0.0.1', INDEX_DIR: indexDir, MODEL_DIR: SHARED_MODELS, EMBEDDING_MODEL: TINY_MODEL.model,
      HEADERS_TIMEOUT_MS: '500', REQUEST_TIMEOUT_MS: '1000', MAX_CONNECTIONS: String(MAX_CONNECTIONS),
      WORKER_RECYCLE_RSS_MB: '8000', MEMORY_LIMIT_MB: '100000',
    });
    service = await startService(config, { log: silentLogger, version: 'test', workerFile: WORKER });
  }, 60_000);
  afterAll(async () => {
    await service?.shutdown(5000);
    await cleanup?.();
  });

  const healthy = async () => {
    // The server sees a closed client on its next turn; a few tries cover that, not a slow machine.
    for (let attempt = 0; ; attempt++) {
      try {
        return (await fetch(`${service.url}/healthz`)).status;
      } catch (error) {
        if (attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };

  it('cuts off an upload that stops halfway (Node kept it for 328 s), answering 408', async () => {
    const client = await rawClient(service.url);
    client.socket.write('POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{"question":"how');
    await client.closed;
    expect(client.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(await healthy()).toBe(200);
  }, 20_000);

  it('cuts off a client that never finishes its headers', async () => {
    const client = await rawClient(service.url);
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    await client.closed;
    expect(await healthy()).toBe(200);
  }, 20_000);

  it(`closes connections past MAX_CONNECTIONS at once, and serves again when they go`, async () => {
    const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => rawClient(service.url)));
    const extra = await rawClient(service.url);
    await extra.closed;
    expect(extra.received()).toBe('');
    for (const client of held) client.socket.destroy();
    await Promise.all(held.map((client) => client.closed));
    expect(await healthy()).toBe(200);
  }, 20_000);

  it('closes the connection after refusing a request whose body it did not read, instead of reading it all', async () => {
    const client = await rawClient(service.url);
    // A declared 100 MB body for a path that does not exist: the 404 must not wait for it.
    client.socket.write('POST /nothing HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n');
    client.socket.write('x'.repeat(64 * 1024));
    await client.closed;
    expect(client.received()).toMatch(/^HTTP\/1\.1 404/);
    expect(client.received()).toMatch(/\r\nConnection: close\r\n/i);
  }, 20_000);

  it('refuses a question body many times the largest valid one with 413', async () => {
    const res = await fetch(`${service.url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'x'.repeat(20_000) }) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
  });
});
