/**
 * Generations on disk, swapped atomically. A build writes a whole generation under a temporary
 * name, fsyncs it, renames it into place and only then replaces `CURRENT` by rename: a kill at any
 * moment leaves the previous generation live.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { CURRENT_FILE, FILES, GENERATION_PREFIX, REJECTED_PREFIX, TEMP_PREFIX } from './index-layout.js';

/** fsync a file or a folder by path; folders need it too, or a rename may not survive a crash. */
export async function fsyncPath(target: string): Promise<void> {
  const handle = await open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Write a file (from pieces, so a large one need not be joined in memory first) and fsync it before returning. */
export async function writeFileDurable(file: string, data: string | Uint8Array | readonly Uint8Array[]): Promise<void> {
  const handle = await open(file, 'w');
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) await handle.writeFile(data);
    else for (const piece of data) await handle.write(piece);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The folder of the live generation, or undefined when the index folder has none. A generation
 * folder named directly (live or not, still temporary or rejected, with its manifest written)
 * stands for itself: that is how a build evaluates its new generation before making it live.
 */
export async function resolveCurrentGeneration(indexDir: string): Promise<string | undefined> {
  let name: string;
  try {
    name = (await readFile(path.join(indexDir, CURRENT_FILE), 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    // Only a folder that holds a generation's manifest: an empty `--out gen-x` is an index folder.
    return isGenerationName(path.basename(indexDir)) && existsSync(path.join(indexDir, FILES.manifest)) ? indexDir : undefined;
  }
  if (!name.startsWith(GENERATION_PREFIX) || name.includes('/') || name.includes('\\')) {
    throw new Error(`${path.join(indexDir, CURRENT_FILE)} names "${name}", which is not a generation folder`);
  }
  return path.join(indexDir, name);
}

/** A folder to build the next generation in; it is invisible to readers until committed. */
export async function beginGeneration(indexDir: string): Promise<{ tempDir: string; name: string }> {
  await mkdir(indexDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  const name = `${GENERATION_PREFIX}${stamp}-${randomBytes(3).toString('hex')}`;
  const tempDir = path.join(indexDir, `${TEMP_PREFIX}${name}`);
  await mkdir(tempDir);
  return { tempDir, name };
}

/**
 * Make a fully written generation live. Every file in it must already be fsynced
 * (`writeFileDurable`). Keeps the generation it replaced, so one rollback stays possible,
 * and removes anything older, plus temporary folders that killed builds left behind.
 */
export async function commitGeneration(indexDir: string, tempDir: string, name: string): Promise<string> {
  await fsyncPath(tempDir);
  const finalDir = path.join(indexDir, name);
  await rename(tempDir, finalDir);
  await fsyncPath(indexDir);
  const previous = await resolveCurrentGeneration(indexDir).catch(() => undefined);
  const pointerTemp = path.join(indexDir, `${TEMP_PREFIX}${CURRENT_FILE}-${randomBytes(3).toString('hex')}`);
  await writeFileDurable(pointerTemp, `${name}\n`);
  await rename(pointerTemp, path.join(indexDir, CURRENT_FILE));
  await fsyncPath(indexDir);
  await removeStale(indexDir, new Set([name, previous ? path.basename(previous) : '']));
  return finalDir;
}

/** Throw away a generation that will not be committed. */
export async function abandonGeneration(tempDir: string): Promise<void> {
  await rm(tempDir, { recursive: true, force: true });
}

/**
 * Set aside a fully written generation that must not go live, as `rejected-<name>`, so it can be
 * evaluated or compared by hand. Only the latest is kept; the next commit removes it.
 */
export async function rejectGeneration(indexDir: string, tempDir: string, name: string): Promise<string> {
  for (const entry of await readdir(indexDir)) {
    if (entry.startsWith(REJECTED_PREFIX)) await rm(path.join(indexDir, entry), { recursive: true, force: true });
  }
  const rejectedDir = path.join(indexDir, `${REJECTED_PREFIX}${name}`);
  await rename(tempDir, rejectedDir);
  return rejectedDir;
}

function isGenerationName(entry: string): boolean {
  return [GENERATION_PREFIX, `${TEMP_PREFIX}${GENERATION_PREFIX}`, `${REJECTED_PREFIX}${GENERATION_PREFIX}`].some((prefix) => entry.startsWith(prefix));
}

async function removeStale(indexDir: string, keep: Set<string>): Promise<void> {
  for (const entry of await readdir(indexDir)) {
    const stale =
      (entry.startsWith(GENERATION_PREFIX) && !keep.has(entry)) || entry.startsWith(TEMP_PREFIX) || entry.startsWith(REJECTED_PREFIX);
    if (!stale) continue;
    const full = path.join(indexDir, entry);
    if ((await stat(full)).isDirectory() || entry.startsWith(TEMP_PREFIX)) {
      await rm(full, { recursive: true, force: true });
    }
  }
}
