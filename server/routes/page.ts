import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'koa';
import { ApiError } from '../http/errors.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The repository root, from this file's place in `dist/server/routes/` (or `server/routes/` when run from source, as in tests). */
const ROOT = path.basename(path.resolve(HERE, '../..')) === 'dist' ? path.resolve(HERE, '../../..') : path.resolve(HERE, '../..');

/** The page's files: markup and style as written in `web/`, the script as compiled into `dist/web/`. */
export const PAGE_FILES = {
  '/': { file: path.join(ROOT, 'web/index.html'), type: 'text/html; charset=utf-8' },
  '/assets/style.css': { file: path.join(ROOT, 'web/style.css'), type: 'text/css; charset=utf-8' },
  '/assets/app.js': { file: path.join(ROOT, 'dist/web/app.js'), type: 'text/javascript; charset=utf-8' },
} as const;

export type PagePath = keyof typeof PAGE_FILES;

/** Only our own files, no inline script or style, no framing: text from documents can never run as code. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * Serves one of the page's files, read once and kept (a few kilobytes). A browser asking for `/`
 * gets the page; any other client (curl, fetch with no Accept) gets `fallback`, the JSON
 * description of the service, as before.
 */
export function pageHandler(at: PagePath, fallback?: (ctx: Context) => Promise<void> | void) {
  let cached: Promise<Buffer> | undefined;
  const { file, type } = PAGE_FILES[at];
  return async (ctx: Context): Promise<void> => {
    if (fallback && ctx.accepts('json', 'html') !== 'html') return fallback(ctx);
    cached ??= readFile(file).catch((cause: unknown) => {
      cached = undefined;
      throw new ApiError(404, 'PAGE_NOT_BUILT', 'The web page is not built: run npm run build', { cause });
    });
    const body = await cached;
    ctx.set(SECURITY_HEADERS);
    ctx.set('cache-control', at === '/' ? 'no-cache' : 'public, max-age=300');
    ctx.type = type;
    ctx.body = body;
  };
}
