import { spawn } from 'node:child_process';
import type { ServerConfig } from './config.js';
import type { Logger } from './logger.js';

export interface EnsureResult {
  ok: boolean;
  /** The prebuild tool's last output line (its summary or its error). */
  detail: string;
}

/**
 * Build the bundled sample corpus's index if it is missing or stale, in a child process: building
 * loads the model, and that memory must go back to the OS before the server starts serving. Where
 * the model cannot be had, the child builds a lexical-only index instead.
 */
export function ensureSampleIndex(config: ServerConfig, prebuildCli: string, log: Logger, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<EnsureResult> {
  const { timeoutMs = 300_000, signal } = options;
  if (!config.sampleCorpusDir) return Promise.resolve({ ok: true, detail: 'INDEX_DIR is set: serving it as it is' });
  const { embedding } = config;
  const args = [
    prebuildCli, '--docs', config.sampleCorpusDir, '--out', config.indexDir,
    '--model', embedding.model, '--model-dir', embedding.modelDir, '--dtype', embedding.dtype,
    ...(embedding.allowRemote ? ['--allow-remote'] : []),
    '--if-stale', '--lexical-fallback', '--quiet',
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    const lines: string[] = [];
    const collect = (level: 'info' | 'warn') => (data: Buffer) => {
      for (const line of data.toString('utf8').split('\n').filter((l) => l.trim())) {
        lines.push(line);
        log[level]('sample index', { line });
      }
    };
    child.stdout.on('data', collect('info'));
    child.stderr.on('data', collect('warn'));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, detail: error.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, detail: lines.at(-1) ?? (signal ? `killed by ${signal}` : `exit code ${code}`) });
    });
  });
}
