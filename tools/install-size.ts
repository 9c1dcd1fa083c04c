#!/usr/bin/env node
/**
 * What a deploy ships of node_modules, measured without a second install: every package the
 * lockfile installs without dev dependencies (`npm ci --omit=dev`), as installed here, less what
 * `npm run prune:slug` deletes. `node dist/tools/install-size.js` prints the figure.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { prunablePaths } from './prune-slug.js';

interface LockEntry {
  dev?: boolean;
  link?: boolean;
  resolved?: string;
}

/** Bytes of the files under `dir`, not descending into `skip` folders (nested node_modules are lock entries of their own). */
function folderBytes(dir: string, skip: Set<string>): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (skip.has(file) || (entry.isDirectory() && entry.name === 'node_modules')) continue;
    if (entry.isDirectory()) total += folderBytes(file, skip);
    else if (entry.isFile()) total += statSync(file).size;
  }
  return total;
}

/** Per package (lockfile key), the bytes the production install holds after pruning; packages not installed on this platform are absent. */
export function productionInstall(root: string): Map<string, number> {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const pruned = new Set(prunablePaths(path.join(root, 'node_modules')));
  const sizes = new Map<string, number>();
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.startsWith('node_modules/') || entry.dev) continue;
    const dir = path.join(root, key);
    if (!existsSync(dir) || pruned.has(dir)) continue;
    // A `file:` stand-in is a link to its folder in deps/, which ships with the repository anyway.
    const real = lstatSync(dir).isSymbolicLink() ? realpathSync(dir) : dir;
    sizes.set(key, folderBytes(real, pruned));
  }
  return sizes;
}

export function productionInstallMb(root: string): number {
  let total = 0;
  for (const bytes of productionInstall(root).values()) total += bytes;
  return total / 1048576;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sizes = [...productionInstall(process.cwd())].sort((a, b) => b[1] - a[1]);
  const total = sizes.reduce((sum, [, bytes]) => sum + bytes, 0);
  process.stdout.write(`production install after prune:slug: ${(total / 1048576).toFixed(1)} MB in ${sizes.length} packages; largest:\n`);
  for (const [key, bytes] of sizes.slice(0, 10)) process.stdout.write(`  ${(bytes / 1048576).toFixed(1).padStart(6)} MB  ${key.slice('node_modules/'.length)}\n`);
}
