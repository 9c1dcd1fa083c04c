/**
 * The event stream is sent by the server itself, not as Koa's body: Koa tests a body against
 * `Response` first, and in Node 20 that first read of the global loads all of undici in a server
 * that may never fetch. Checked in a process of its own, since the test runner has loaded undici.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

describe('an event stream', () => {
  it('goes out with the headers set before and after the handler, its events in order, and without loading undici', () => {
    const run = spawnSync(process.execPath, [path.resolve('__tests__/fixtures/sse-undici.mjs'), process.cwd()], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    const seen = JSON.parse(run.stdout) as { status: number; type: string; before?: string; after?: string; text: string; undici: string[] };
    expect(seen).toMatchObject({ status: 200, type: 'text/event-stream; charset=utf-8', before: 'set', after: 'set', undici: [] });
    expect(seen.text).toBe(': stream open\n\nevent: token\ndata: {"text":"hello"}\n\n');
  });
});
