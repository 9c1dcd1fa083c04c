import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { loadConfig } from '../../../server/config.js';
import { createLogger } from '../../../server/logger.js';
import { MemoryGovernor, type GovernorSettings, type MemoryMode } from '../../../server/memory/governor.js';
import { startService, type Service } from '../../../server/service.js';
import { prebuild } from '../../../indexing/prebuild.js';
import { SAMPLE_CORPUS, SHARED_MODELS, STATIC_MODEL } from '../../helpers/models.js';
import { tempDir } from '../../helpers/temp.js';

const MB = 1048576;
const SETTINGS: GovernorSettings = { limitMb: 500, cautiousAt: 0.78, degradedAt: 0.88, hysteresis: 0.05, sampleEveryMs: 1000 };

function recordingLogger() {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const log = createLogger('debug', (line) => {
    const { message, level, ...fields } = JSON.parse(line) as { message: string; level: string; time?: string };
    delete fields.time;
    lines.push({ level, message, fields });
  });
  return { log, lines };
}

describe('the memory governor', () => {
  it('moves up at the thresholds and down only past the hysteresis, logging each change once', () => {
    let rssMb = 100;
    const { log, lines } = recordingLogger();
    const governor = new MemoryGovernor(SETTINGS, log, () => rssMb * MB);
    const seen: string[] = [];
    governor.onChange((mode) => seen.push(mode));
    // limit 500: cautious from 390 MB, degraded from 440 MB, hysteresis 25 MB.
    const walk: [number, string][] = [
      [100, 'normal'], [389, 'normal'], [390, 'cautious'], [439, 'cautious'], [440, 'degraded'],
      [430, 'degraded'], [416, 'degraded'], [414, 'cautious'], [380, 'cautious'], [366, 'cautious'],
      [364, 'normal'], [391, 'cautious'], [300, 'normal'], [600, 'degraded'], [100, 'normal'],
    ];
    for (const [mb, expected] of walk) {
      rssMb = mb;
      expect([mb, governor.sample()]).toEqual([mb, expected]);
    }
    expect(seen).toEqual(['cautious', 'degraded', 'cautious', 'normal', 'cautious', 'normal', 'degraded', 'normal']);
    const changes = lines.filter((l) => l.message === 'memory mode changed');
    expect(changes).toHaveLength(seen.length);
    expect(changes[0]!.fields).toMatchObject({ from: 'normal', to: 'cautious', rssMb: 390, limitMb: 500 });
    expect(governor.snapshot()).toMatchObject({ mode: 'normal', limitMb: 500, cautiousAtMb: 390, degradedAtMb: 440, transitions: 8 });
  });

  it('does not flap when RSS hovers at a threshold', () => {
    let rssMb = 0;
    const governor = new MemoryGovernor(SETTINGS, createLogger('error', () => undefined), () => rssMb * MB);
    const modes = [389, 391, 389, 391, 388, 392, 389].map((mb) => {
      rssMb = mb;
      return governor.sample();
    });
    expect(modes).toEqual(['normal', 'cautious', 'cautious', 'cautious', 'cautious', 'cautious', 'cautious']);
  });
});

/**
 * The real service over the sample index (static model), with RSS read from `rssMb()`: limit 500
 * MB, so cautious from 390 and degraded from 440; the RSS-triggered recycle kept out of the way.
 * `now`, if given, is the model admission's clock.
 */
async function governedService(rssMb: () => number, env: Record<string, string> = {}, now?: () => number): Promise<{ service: Service; cleanup: () => Promise<void> }> {
  const { dir, cleanup } = await tempDir();
  const indexDir = path.join(dir, 'index');
  await prebuild({ docsDir: SAMPLE_CORPUS, outDir: indexDir, embedding: STATIC_MODEL, vectraExport: false });
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', INDEX_DIR: indexDir, MODEL_DIR: SHARED_MODELS, EMBEDDING_MODEL: STATIC_MODEL.model, MEMORY_LIMIT_MB: '500', MEMORY_SAMPLE_MS: '50', WORKER_RECYCLE_RSS_MB: '8000', ...env });
  const service = await startService(config, { log: createLogger('error', () => undefined), version: 'test', workerFile: path.resolve('dist/workers/worker.js'), rss: () => rssMb() * MB, ...(now ? { now } : {}) });
  return { service, cleanup };
}

/**
 * Resolves once the governor is in `mode`: it samples every 50 ms, and a busy machine can delay
 * that by far more than any fixed wait, so wait on the change itself.
 */
function modeBecomes(service: Service, mode: MemoryMode): Promise<void> {
  return new Promise((resolve) => {
    if (service.governor.mode === mode) return resolve();
    service.governor.onChange((next) => {
      if (next === mode) resolve();
    });
  });
}

describe('memory modes over HTTP', () => {
  let service: Service;
  let cleanup: () => Promise<void>;
  let rssMb = 100;

  beforeAll(async () => {
    ({ service, cleanup } = await governedService(() => rssMb));
  }, 120_000);

  afterAll(async () => {
    await service?.shutdown(5000);
    await cleanup();
  });

  const ask = async () => {
    const res = await fetch(`${service.url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'How long is paid parental leave?', topK: 8 }) });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { memoryMode?: string; citations?: unknown[]; notices?: string[]; error?: { code: string } } };
  };
  it('answers normally, narrows answers when cautious, sheds questions when degraded, and recovers', async () => {
    const normal = await ask();
    expect(normal.status).toBe(200);
    expect(normal.body.memoryMode).toBe('normal');

    rssMb = 400;
    await modeBecomes(service, 'cautious');
    const cautious = await ask();
    expect(cautious.status).toBe(200);
    expect(cautious.body.memoryMode).toBe('cautious');
    expect(cautious.body.citations!.length).toBeLessThanOrEqual(3);
    expect(cautious.body.notices!.join(' ')).toContain('short of memory');
    const memory = (await (await fetch(`${service.url}/api/memory`)).json()) as { mode: string; worker: { recyclesByReason: { memory: number } } };
    expect(memory.mode).toBe('cautious');

    rssMb = 450;
    await modeBecomes(service, 'degraded');
    const shed = await ask();
    expect(shed.status).toBe(503);
    expect(shed.body.error!.code).toBe('MEMORY_DEGRADED');
    expect(Number(shed.retryAfter)).toBeGreaterThan(0);
    expect((await fetch(`${service.url}/api/search?q=leave`)).status).toBe(503);
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { memory: { mode: string } }).memory.mode).toBe('degraded');
    expect(((await (await fetch(`${service.url}/api/memory`)).json()) as { mode: string }).mode).toBe('degraded');

    rssMb = 200;
    await modeBecomes(service, 'normal');
    const recovered = await ask();
    expect(recovered.status).toBe(200);
    expect(recovered.body.memoryMode).toBe('normal');
    expect(service.gate.snapshot().recyclesByReason.memory).toBeGreaterThanOrEqual(1);
  });
});

describe('the embedding model and memory over HTTP', () => {
  let service: Service;
  let cleanup: () => Promise<void>;
  let rssMb = 350;
  const HOLD_MS = 1500;
  // The hold runs on this clock, stepped by the test: asks on a slow machine cannot outlast it.
  let clock = 1_000_000;

  beforeAll(async () => {
    // The static model's prior cost is 40 MB plus twice its 15 MB file: at 350 MB it passes 390.
    ({ service, cleanup } = await governedService(() => rssMb, { MEMORY_MODEL_HOLD_MS: String(HOLD_MS) }, () => clock));
  }, 120_000);

  afterAll(async () => {
    await service?.shutdown(5000);
    await cleanup();
  });

  type Answer = { retrieval: string; memoryMode: string; notices: string[]; citations: unknown[] };
  const ask = async () => {
    const res = await fetch(`${service.url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'How long is paid parental leave?' }) });
    expect(res.status).toBe(200);
    return (await res.json()) as Answer;
  };
  type Memory = { worker: { model: string; recyclesByReason: Record<string, number> }; modelAdmission: { loadCostMb: number; measured: boolean; heldUntil: string | null; lastRefusal: string | null } };
  const memory = async () => (await (await fetch(`${service.url}/api/memory`)).json()) as Memory;

  it('searches by keyword while a model load would pass the cautious threshold, and loads the model once it fits', async () => {
    const tight = await ask();
    expect(tight.retrieval).toBe('lexical');
    expect(tight.notices.join(' ')).toMatch(/loading the embedding model \(about \d+ MB\) at 350 MB would pass the cautious threshold of 390 MB/);
    expect(tight.citations.length).toBeGreaterThan(0);
    const held = await memory();
    expect(held.worker.model).toBe('held');
    expect(held.modelAdmission).toMatchObject({ measured: false, heldUntil: null });
    const ready = (await (await fetch(`${service.url}/readyz`)).json()) as { ready: boolean; retrieval: string; reason: string };
    expect(ready).toMatchObject({ ready: true, retrieval: 'lexical' });
    expect(ready.reason).toContain('would pass the cautious threshold');

    rssMb = 100;
    await ask(); // still the keyword-only worker; after it, the pool swaps it for one with the model
    const full = await ask();
    expect(full.retrieval).toBe('hybrid');
    const loaded = await memory();
    expect(loaded.worker.model).toBe('loaded');
    expect(loaded.worker.recyclesByReason.model).toBe(1);
    expect(loaded.modelAdmission.measured).toBe(true);
  });

  it('after a memory recycle, answers by keyword for the hold instead of reloading the model, then reloads it', async () => {
    rssMb = 400;
    await modeBecomes(service, 'cautious');
    const cautious = await ask();
    expect(cautious.memoryMode).toBe('cautious');
    expect(cautious.retrieval).toBe('lexical');
    expect(cautious.notices.join(' ')).toMatch(/held back for \d+ s more after memory ran high/);

    rssMb = 100;
    await modeBecomes(service, 'normal');
    const held = await ask();
    expect(held.memoryMode).toBe('normal');
    expect(held.retrieval).toBe('lexical');
    expect(held.notices.join(' ')).toMatch(/held back for \d+ s more after memory ran high/);
    expect((await memory()).modelAdmission.heldUntil).not.toBeNull();

    clock += HOLD_MS - 1;
    expect((await memory()).modelAdmission.heldUntil).not.toBeNull();
    clock += 1;
    expect((await memory()).modelAdmission.heldUntil).toBeNull();
    await ask();
    const back = await ask();
    expect(back.retrieval).toBe('hybrid');
    expect((await memory()).worker.model).toBe('loaded');
  });
});
