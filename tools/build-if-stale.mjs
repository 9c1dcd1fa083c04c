#!/usr/bin/env node
// `npm run build`, and `npm start`'s first step: compile only when a source is newer than the
// last build. Even an incremental tsc with nothing to do reads and hashes every source (seconds,
// tens on a busy machine); this compares modification times. Plain JavaScript, because it runs
// before anything is compiled. tsc itself is incremental (tsconfig.build.json), so a build after
// a small change recompiles little.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = path.join(root, 'dist', '.build-stamp');
const SOURCE_DIRS = ['server', 'answer', 'text', 'workers', 'store', 'indexing', 'evaluation', 'tools', 'web'];
const CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json', 'tsconfig.web.json', 'package.json', 'package-lock.json'];
/** The server and tools for Node, then the page's script for the browser. */
const PROJECTS = ['tsconfig.build.json', 'tsconfig.web.json'];

/** The newest modification time (ms) of the sources and the compiler settings. */
function newestSource() {
  let newest = 0;
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(file);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(file).mtimeMs);
    }
  };
  for (const dir of SOURCE_DIRS) if (existsSync(path.join(root, dir))) visit(path.join(root, dir));
  for (const file of CONFIG_FILES) if (existsSync(path.join(root, file))) newest = Math.max(newest, statSync(path.join(root, file)).mtimeMs);
  return newest;
}

const built = existsSync(STAMP) && existsSync(path.join(root, 'dist', 'server', 'index.js')) ? statSync(STAMP).mtimeMs : 0;
if (built > newestSource()) {
  process.stdout.write('build: dist/ is up to date, not compiling\n');
} else {
  const started = Date.now();
  for (const project of PROJECTS) {
    const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, project)], { stdio: 'inherit' });
    if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  }
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  process.stdout.write(`build: compiled in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
