import { stat } from 'node:fs/promises';
import path from 'node:path';
import { FILES } from './index-layout.js';
import type { Manifest } from './manifest.js';

/**
 * The boot check hashes every file of the live generation before the server listens; the worker
 * thread, started after it in the same process, would hash them all again (about a gigabyte at
 * 250,000 chunks, seconds of a core, again on every recycle). The check leaves a stamp of what it
 * verified in this process's environment, which a worker thread receives as a copy when it starts:
 * the generation's folder and each file's size, mtime, ctime, device and inode. A reader whose files
 * still match the stamp skips the hashing; a file written or replaced since is hashed as before (a
 * write moves its ctime even when the writer puts its mtime back, as `cp -p` does).
 */
export const VERIFIED_ENV = 'RAG512_VERIFIED_GENERATION';

/** What identifies the files of a generation as they are now, short of their bytes. */
async function stampOf(dir: string, manifest: Manifest): Promise<string | null> {
  const files = [FILES.manifest, ...Object.keys(manifest.checksums ?? {})].sort();
  const parts: (string | number)[][] = [];
  for (const file of files) {
    const stats = await stat(path.join(dir, file)).catch(() => null);
    if (!stats) return null;
    parts.push([file, stats.size, stats.mtimeMs, stats.ctimeMs, stats.dev, stats.ino]);
  }
  return JSON.stringify({ dir: path.resolve(dir), files: parts });
}

/** Record, for worker threads started from now on, that this generation's files matched their checksums. */
export async function markVerified(dir: string, manifest: Manifest): Promise<void> {
  const stamp = await stampOf(dir, manifest);
  if (stamp) process.env[VERIFIED_ENV] = stamp;
}

/** True when this process (or the thread that started this one) verified these very files. */
export async function isVerified(dir: string, manifest: Manifest): Promise<boolean> {
  const recorded = process.env[VERIFIED_ENV];
  if (!recorded || !manifest.checksums) return false;
  return recorded === (await stampOf(dir, manifest));
}
