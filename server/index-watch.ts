/**
 * The file store's answer to a rebuild while the server runs: `prebuild` swaps `CURRENT` to a new
 * generation by rename, and this watch sees it (one small read every `everyMs`), checks the new
 * generation as the boot check does (manifest, checksums, model), updates the check `/readyz` and
 * `/api/status` read, and calls `onNewGeneration` so the server recycles its worker onto it. The
 * worker holds one generation for its life, so a recycle, not a reload in place, is what moves it:
 * two indexes never sit in memory at once.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CURRENT_FILE } from '../store/index-layout.js';
import type { EmbeddingConfig } from '../workers/model-config.js';
import { checkIndex, type IndexCheck } from './index-check.js';

export interface FileIndexWatch {
  stop(): void;
}

export interface FileIndexWatchOptions {
  everyMs: number;
  /** A new generation passed the check; `check` already describes it. */
  onNewGeneration: (check: IndexCheck) => void;
  /** A new generation failed the check; `check` says why, and the worker keeps the one it holds. */
  onRefused?: (check: IndexCheck) => void;
}

/** The generation `CURRENT` names now, or null when it cannot be read (no index yet, or mid-swap). */
async function currentName(indexDir: string): Promise<string | null> {
  try {
    return (await readFile(path.join(indexDir, CURRENT_FILE), 'utf8')).trim() || null;
  } catch {
    return null;
  }
}

/** Watch `indexDir` for a swapped generation; `check` (the boot check's result) is updated in place. */
export function watchFileIndex(indexDir: string, embedding: EmbeddingConfig, check: IndexCheck, options: FileIndexWatchOptions): FileIndexWatch {
  let seen = check.generation;
  let running = false;
  const tick = async () => {
    const name = await currentName(indexDir);
    if (name === null || name === seen) return;
    seen = name;
    const next = await checkIndex(indexDir, embedding);
    delete check.reason;
    delete check.modelFile;
    Object.assign(check, next);
    if (next.ok) options.onNewGeneration(check);
    else options.onRefused?.(check);
  };
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void tick().finally(() => (running = false));
  }, options.everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
