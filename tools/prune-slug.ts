#!/usr/bin/env node
/**
 * `npm run prune:slug`, the deploy builds' last step: delete what the production install holds but
 * this machine never loads, so the slug (Heroku) or image (Render) carries only what runs here.
 * Run after `npm run build:index`: the index build is the last thing that could need any of it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** onnxruntime-node's folder names for Node's `process.platform` values. */
const ORT_PLATFORMS: Record<string, string> = { linux: 'linux', darwin: 'darwin', win32: 'win32' };

function subfolders(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
}

/**
 * Folders under `nodeModules` never loaded on `platform`/`arch`: onnxruntime-node's binaries for
 * other systems and CPUs, and @napi-rs/canvas (pdfjs-dist's optional dependency, for rendering
 * pages; reading their text, at build time only, does not need it).
 */
export function prunablePaths(nodeModules: string, platform: string = process.platform, arch: string = process.arch): string[] {
  const paths: string[] = [];
  const ortBin = path.join(nodeModules, 'onnxruntime-node', 'bin');
  for (const napi of subfolders(ortBin)) {
    for (const os of subfolders(path.join(ortBin, napi))) {
      const osDir = path.join(ortBin, napi, os);
      if (os !== ORT_PLATFORMS[platform]) paths.push(osDir);
      else for (const cpu of subfolders(osDir)) if (cpu !== arch) paths.push(path.join(osDir, cpu));
    }
  }
  for (const name of subfolders(path.join(nodeModules, '@napi-rs'))) {
    if (name === 'canvas' || name.startsWith('canvas-')) paths.push(path.join(nodeModules, '@napi-rs', name));
  }
  return paths;
}

export async function pruneSlug(nodeModules: string): Promise<string[]> {
  const paths = prunablePaths(nodeModules);
  for (const dir of paths) await rm(dir, { recursive: true, force: true });
  return paths;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const removed = await pruneSlug(path.resolve('node_modules'));
  process.stdout.write(`prune:slug: removed ${removed.length} folders never loaded on ${process.platform}-${process.arch}${removed.length ? `:\n  ${removed.map((p) => path.relative(process.cwd(), p)).join('\n  ')}` : ''}\n`);
}
